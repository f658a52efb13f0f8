"""AWS::SNS::Topic (with inline Subscription) and AWS::SNS::Subscription."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.template.provision.base import Env, Provisioned, Request, check_properties
from lambdalite.template.state import ResourceState

_TOPIC_ATTRIBUTES = frozenset(
    {"DisplayName", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId",
     "SignatureVersion", "TracingConfig", "ArchivePolicy", "DeliveryStatusLogging"}
)  # fmt: skip
_SUBSCRIPTION_ATTRIBUTES = frozenset(
    {"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
     "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"}
)  # fmt: skip


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


class TopicProvisioner:
    replace_on = frozenset({"TopicName", "FifoTopic"})

    def create(self, env: Env, request: Request) -> Provisioned:
        props = request.properties
        check_properties(env, request, _TOPIC_ATTRIBUTES | {"TopicName", "Tags", "Subscription"})
        fifo = str(props.get("FifoTopic", "")).lower() == "true"
        name = props.get("TopicName") or env.physical_name(
            request.logical_id, 256, ".fifo" if fifo else ""
        )
        attributes = {k: _text(props[k]) for k in _TOPIC_ATTRIBUTES & set(props)}
        sns = env.client("sns")
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for sub in props.get("Subscription") or []:
            sns.subscribe(TopicArn=arn, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"])
        return Provisioned(arn, {"TopicArn": arn, "TopicName": name})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        sns = env.client("sns")
        for key in _TOPIC_ATTRIBUTES & set(request.properties) - {"FifoTopic"}:
            sns.set_topic_attributes(
                TopicArn=old.physical_id,
                AttributeName=key,
                AttributeValue=_text(request.properties[key]),
            )
        known = {(s["Protocol"], s["Endpoint"]) for s in old.properties.get("Subscription", [])}
        for sub in request.properties.get("Subscription") or []:
            if (sub["Protocol"], sub["Endpoint"]) not in known:
                sns.subscribe(
                    TopicArn=old.physical_id, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"]
                )
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("sns").delete_topic(TopicArn=old.physical_id)


class SubscriptionProvisioner:
    replace_on = frozenset({"TopicArn", "Protocol", "Endpoint"})

    def create(self, env: Env, request: Request) -> Provisioned:
        props = request.properties
        check_properties(
            env, request, _SUBSCRIPTION_ATTRIBUTES | {"TopicArn", "Protocol", "Endpoint", "Region"}
        )
        attributes = {k: _text(props[k]) for k in _SUBSCRIPTION_ATTRIBUTES & set(props)}
        arn = env.client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return Provisioned(arn, {"Arn": arn})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        sns = env.client("sns")
        for key in _SUBSCRIPTION_ATTRIBUTES & (set(request.properties) | set(old.properties)):
            value = request.properties.get(key)
            sns.set_subscription_attributes(
                SubscriptionArn=old.physical_id,
                AttributeName=key,
                AttributeValue="" if value is None else _text(value),
            )
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("sns").unsubscribe(SubscriptionArn=old.physical_id)

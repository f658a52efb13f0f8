"""AWS::SQS::Queue through CreateQueue / SetQueueAttributes / DeleteQueue."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.template.provision.base import Env, Provisioned, Request, check_properties
from lambdalite.template.state import ResourceState

_ATTRIBUTES = frozenset(
    {
        "ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue",
        "FifoThroughputLimit", "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId",
        "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
        "RedriveAllowPolicy", "RedrivePolicy", "SqsManagedSseEnabled", "VisibilityTimeout",
    }
)  # fmt: skip
_CREATE_ONLY = frozenset({"FifoQueue"})


def _attributes(props: Any, create: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in _ATTRIBUTES & set(props):
        if key in _CREATE_ONLY and not create:
            continue
        value = props[key]
        if isinstance(value, dict | list):
            value = json.dumps(value)
        elif isinstance(value, bool):
            value = str(value).lower()
        out[key] = str(value)
    return out


class QueueProvisioner:
    replace_on = frozenset({"QueueName", "FifoQueue"})

    def create(self, env: Env, request: Request) -> Provisioned:
        props = request.properties
        check_properties(env, request, _ATTRIBUTES | {"QueueName", "Tags"})
        fifo = str(props.get("FifoQueue", "")).lower() == "true"
        suffix = ".fifo" if fifo else ""
        name = props.get("QueueName") or env.physical_name(request.logical_id, 80, suffix)
        url = env.client("sqs").create_queue(QueueName=name, Attributes=_attributes(props, True))[
            "QueueUrl"
        ]
        return self._answer(env, name, url)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        check_properties(env, request, _ATTRIBUTES | {"QueueName", "Tags"})
        attributes = _attributes(request.properties, False)
        for key in _ATTRIBUTES & set(old.properties) - set(request.properties):
            if key == "RedrivePolicy":
                attributes[key] = ""  # removing the property removes the redrive
        if attributes:
            env.client("sqs").set_queue_attributes(QueueUrl=old.physical_id, Attributes=attributes)
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("sqs").delete_queue(QueueUrl=old.physical_id)

    @staticmethod
    def _answer(env: Env, name: str, url: str) -> Provisioned:
        arn = f"arn:aws:sqs:{env.region}:{env.account_id}:{name}"
        return Provisioned(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

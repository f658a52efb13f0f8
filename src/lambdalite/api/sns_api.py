"""Amazon SNS over the query protocol (``Action=...``, XML responses).

Params arrive decoded and checked against botocore's SNS model; the handlers turn them
into calls on ``platform.sns`` (``services/sns``), which raises SNS's own errors."""

from __future__ import annotations

from typing import Any

from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.api.json_protocol import error_facts
from lambdalite.api.service_model import load_service
from lambdalite.platform import Platform
from lambdalite.services.sns import SnsService
from lambdalite.services.sns.errors import invalid
from lambdalite.services.sns.model import PENDING_ARN, PENDING_LISTED, Subscription
from lambdalite.services.sns.publish import PublishRequest


def _sns(p: Platform) -> SnsService:
    return p.sns


async def create_topic(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    attributes = dict(params.get("Attributes") or {})
    if params.get("DataProtectionPolicy"):
        attributes["DataProtectionPolicy"] = params["DataProtectionPolicy"]
    return {"TopicArn": await _sns(p).create_topic(params["Name"], attributes)}


async def delete_topic(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _sns(p).delete_topic(params["TopicArn"])
    return {}


async def list_topics(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    arns, token = await _sns(p).list_topics(params.get("NextToken"))
    out: dict[str, Any] = {"Topics": [{"TopicArn": arn} for arn in arns]}
    if token is not None:
        out["NextToken"] = token
    return out


async def get_topic_attributes(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return {"Attributes": await _sns(p).topic_attributes(params["TopicArn"])}


async def set_topic_attributes(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _sns(p).set_topic_attribute(
        params["TopicArn"], params["AttributeName"], params.get("AttributeValue")
    )
    return {}


async def subscribe(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    # lambda and sqs subscriptions in the topic's own account are confirmed at once, so
    # their ARN is returned whatever ReturnSubscriptionArn says; an endpoint that has yet
    # to confirm shows "pending confirmation" unless the caller asked for the ARN.
    sns = _sns(p)
    arn = await sns.subscribe(
        params["TopicArn"],
        params["Protocol"],
        params.get("Endpoint"),
        dict(params.get("Attributes") or {}),
    )
    if not params.get("ReturnSubscriptionArn") and (await sns.get_subscription(arn)).pending:
        return {"SubscriptionArn": PENDING_ARN}
    return {"SubscriptionArn": arn}


async def confirm_subscription(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    arn = await _sns(p).confirm_subscription(params["TopicArn"], params["Token"])
    return {"SubscriptionArn": arn}


async def unsubscribe(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _sns(p).unsubscribe(params["SubscriptionArn"])
    return {}


def _listed(sub: Subscription, owner: str) -> dict[str, Any]:
    return {
        "SubscriptionArn": PENDING_LISTED if sub.pending else sub.arn,
        "Owner": owner,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic_arn,
    }


async def _list_subscriptions(
    p: Platform, topic_arn: str | None, token: str | None
) -> dict[str, Any]:
    subs, next_token = await _sns(p).list_subscriptions(topic_arn, token)
    out: dict[str, Any] = {"Subscriptions": [_listed(s, p.settings.account_id) for s in subs]}
    if next_token is not None:
        out["NextToken"] = next_token
    return out


async def list_subscriptions(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return await _list_subscriptions(p, None, params.get("NextToken"))


async def list_subscriptions_by_topic(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return await _list_subscriptions(p, params["TopicArn"], params.get("NextToken"))


async def get_subscription_attributes(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return {"Attributes": await _sns(p).subscription_attributes(params["SubscriptionArn"])}


async def set_subscription_attributes(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _sns(p).set_subscription_attribute(
        params["SubscriptionArn"], params["AttributeName"], params.get("AttributeValue")
    )
    return {}


def _request(params: dict[str, Any]) -> PublishRequest:
    return PublishRequest(
        message=params.get("Message") or "",
        subject=params.get("Subject"),
        attributes=params.get("MessageAttributes") or {},
        structure=params.get("MessageStructure"),
        group_id=params.get("MessageGroupId"),
        deduplication_id=params.get("MessageDeduplicationId"),
    )


async def publish(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("PhoneNumber"):
        raise invalid("PhoneNumber Reason: lambdalite does not send SMS")
    topic_arn, target_arn = params.get("TopicArn"), params.get("TargetArn")
    if topic_arn and target_arn:
        raise invalid("TopicArn or TargetArn Reason: Only one of them may be specified")
    if not topic_arn and not target_arn:
        raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
    what = "TopicArn" if topic_arn else "TargetArn"
    arn = topic_arn or target_arn
    if not isinstance(arn, str) or not arn.startswith("arn:") or ":sns:" not in arn:
        raise invalid(what)
    publication = await _sns(p).publisher.publish(arn, _request(params))
    out: dict[str, Any] = {"MessageId": publication.message_id}
    if publication.sequence_number is not None:
        out["SequenceNumber"] = publication.sequence_number
    return out


async def publish_batch(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    entries = [(e["Id"], _request(e)) for e in params.get("PublishBatchRequestEntries") or []]
    done, failed = await _sns(p).publisher.publish_batch(params["TopicArn"], entries)
    successful: list[dict[str, Any]] = []
    for entry_id, pub in done:
        item = {"Id": entry_id, "MessageId": pub.message_id}
        if pub.sequence_number is not None:
            item["SequenceNumber"] = pub.sequence_number
        successful.append(item)
    errors = [
        {"Id": f.id, "Code": facts.code, "Message": f.error.message, "SenderFault": True}
        for f in failed
        for facts in [error_facts(load_service("sns"), f.error)]
    ]
    return {"Successful": successful, "Failed": errors}


OPERATIONS: dict[str, Operation] = {
    "CreateTopic": create_topic,
    "DeleteTopic": delete_topic,
    "ListTopics": list_topics,
    "GetTopicAttributes": get_topic_attributes,
    "SetTopicAttributes": set_topic_attributes,
    "Subscribe": subscribe,
    "ConfirmSubscription": confirm_subscription,
    "Unsubscribe": unsubscribe,
    "ListSubscriptions": list_subscriptions,
    "ListSubscriptionsByTopic": list_subscriptions_by_topic,
    "GetSubscriptionAttributes": get_subscription_attributes,
    "SetSubscriptionAttributes": set_subscription_attributes,
    "Publish": publish,
    "PublishBatch": publish_batch,
}
SERVICE = ServiceSpec("sns", "query", OPERATIONS)

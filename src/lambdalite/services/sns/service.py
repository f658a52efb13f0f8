"""The SNS service: topics and subscriptions here, publishing in ``publish.py``.

Implements the directory's ``TopicPublisher`` and registers SNS's courier with the
platform's outbox runner, which sends the deliveries. Storage is the ``SnsStore``
interface the platform hands in."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.outbox.runner import Outbox
from lambdalite.services.directory import MessageAttributes, ServiceDirectory
from lambdalite.services.sns import validate
from lambdalite.services.sns.delivery import SnsCourier
from lambdalite.services.sns.envelope import confirmation_message
from lambdalite.services.sns.errors import NotFound, invalid
from lambdalite.services.sns.model import (
    CONFIRMED_BY_ENDPOINT,
    FOREIGN_PROTOCOLS,
    OUTBOX_KIND,
    PAGE_SIZE,
    PROTOCOLS,
    TOKEN_ATTRIBUTE,
    Publication,
    Subscription,
    Topic,
    TopicArn,
)
from lambdalite.services.sns.publish import Publisher
from lambdalite.services.sns.retry import AWS_MANAGED, RetrySchedule
from lambdalite.services.sns.store import SnsStore

_ENDPOINTS = {
    "sqs": (re.compile(r"^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}(\.fifo)?$"), "SQS"),
    "lambda": (
        re.compile(r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]{1,64}(:[\w$-]{1,128})?$"),
        "Lambda",
    ),
    "http": (re.compile(r"^http://[^\s/?#]+\S*$"), "Endpoint must match the specified protocol"),
    "https": (re.compile(r"^https://[^\s/?#]+\S*$"), "Endpoint must match the specified protocol"),
}
# A confirmation token: random hex, then the subscription's id (so the token names it).
_TOKEN = re.compile(r"^[0-9a-f]{224}([0-9a-f]{32})$")
_SUBSCRIPTION_ARN = re.compile(r"^(arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+):[0-9a-f-]{36}$")
_EFFECTIVE_DELIVERY_POLICY = json.dumps(
    {
        "http": {
            "defaultHealthyRetryPolicy": {
                "minDelayTarget": 20,
                "maxDelayTarget": 20,
                "numRetries": 3,
                "numMaxDelayRetries": 0,
                "numNoDelayRetries": 0,
                "numMinDelayRetries": 0,
                "backoffFunction": "linear",
            },
            "disableSubscriptionOverrides": False,
            "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
        }
    },
    separators=(",", ":"),
)


class SnsService:
    def __init__(
        self,
        settings: Settings,
        store: SnsStore,
        clock: Clock,
        directory: ServiceDirectory,
        outbox: Outbox,
        *,
        schedule: RetrySchedule = AWS_MANAGED,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        base_url = f"http://{settings.host}:{settings.port}"
        outbox.register(OUTBOX_KIND, SnsCourier(clock, directory, base_url, schedule))
        self.publisher = Publisher(self.store, clock, outbox.wake)

    # component: nothing of its own runs in the background --------------------------------

    def due_loops(self) -> Sequence[DueLoop]:
        return []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    # TopicPublisher ---------------------------------------------------------------------

    async def publish_to_topic(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        attributes: MessageAttributes | None = None,
    ) -> str:
        return await self.publisher.publish_to_topic(
            topic_arn, message, subject=subject, attributes=attributes
        )

    # topics -----------------------------------------------------------------------------

    def topic_arn(self, name: str) -> str:
        s = self.settings
        return f"arn:aws:sns:{s.region}:{s.account_id}:{name}"

    async def create_topic(self, name: str, attributes: dict[str, str]) -> str:
        validate.check_topic_name(name, attributes)
        for key, value in attributes.items():
            validate.check_topic_attribute(key, value, creating=True)
        stored = dict(attributes)
        if stored.get("FifoTopic", "").lower() == "true":
            stored["FifoTopic"] = "true"
            stored.setdefault("ContentBasedDeduplication", "false")
        else:
            stored.pop("FifoTopic", None)
        arn = self.topic_arn(name)
        topic = await self.store.create_topic(arn, stored)
        if any(topic.attributes.get(k) != v for k, v in stored.items()):
            raise invalid("Attributes Reason: Topic already exists with different attributes")
        return arn

    async def get_topic(self, arn: str | None, what: str = "TopicArn") -> Topic:
        if not arn or TopicArn.parse(arn) is None:
            raise invalid(what)
        topic = await self.store.get_topic(arn)
        if topic is None:
            raise NotFound("Topic does not exist")
        return topic

    async def delete_topic(self, arn: str) -> None:
        """Idempotent, as in AWS: deleting a topic that does not exist is not an error."""
        if TopicArn.parse(arn) is None:
            raise invalid("TopicArn")
        await self.store.delete_topic(arn)

    async def list_topics(self, token: str | None) -> tuple[list[str], str | None]:
        rows = await self.store.list_topics(_after(token), PAGE_SIZE + 1)
        page = rows[:PAGE_SIZE]
        more = len(rows) > PAGE_SIZE
        return [arn for _, arn in page], (str(page[-1][0]) if more else None)

    async def topic_attributes(self, arn: str) -> dict[str, str]:
        topic = await self.get_topic(arn)
        account = self.settings.account_id
        subscriptions = await self.store.topic_subscriptions(arn)
        pending = sum(1 for sub in subscriptions if sub.pending)
        return {
            "TopicArn": arn,
            "Owner": account,
            "Policy": _default_policy(arn, account),
            "DisplayName": "",
            "SubscriptionsPending": str(pending),
            "SubscriptionsConfirmed": str(len(subscriptions) - pending),
            "SubscriptionsDeleted": "0",
            "EffectiveDeliveryPolicy": _EFFECTIVE_DELIVERY_POLICY,
            **topic.attributes,
        }

    async def set_topic_attribute(self, arn: str, name: str, value: str | None) -> None:
        topic = await self.get_topic(arn)
        validate.check_topic_attribute(name, value or "", creating=False)
        if name == "ContentBasedDeduplication" and not topic.fifo:
            raise invalid("ContentBasedDeduplication Reason: only FIFO topics have it")
        attributes = dict(topic.attributes)
        attributes[name] = value or ""
        await self.store.set_topic_attributes(arn, attributes)

    # subscriptions ----------------------------------------------------------------------

    async def subscribe(
        self, topic_arn: str, protocol: str, endpoint: str | None, attributes: dict[str, str]
    ) -> str:
        topic = await self.get_topic(topic_arn)
        _check_endpoint(topic, protocol, endpoint)
        assert endpoint is not None
        stored = {
            key: validate.check_subscription_attribute(key, value, protocol, subscribing=True)
            for key, value in attributes.items()
        }
        validate.check_filter_policy(stored, subscribing=True)
        existing = await self.store.find_subscription(topic_arn, protocol, endpoint)
        if existing is not None:
            if any(existing.attributes.get(k) != v for k, v in stored.items()):
                raise invalid(
                    "Attributes Reason: Subscription already exists with different attributes"
                )
            if existing.pending:  # subscribing again sends the confirmation again
                await self._ask_confirmation(existing)
            return existing.arn
        sub_id = uuid.uuid4()
        if protocol in CONFIRMED_BY_ENDPOINT:
            stored["PendingConfirmation"] = "true"
            stored[TOKEN_ATTRIBUTE] = secrets.token_hex(112) + sub_id.hex
        sub = Subscription(f"{topic_arn}:{sub_id}", topic_arn, protocol, endpoint, stored)
        await self.store.add_subscription(sub)
        if sub.pending:
            await self._ask_confirmation(sub)
        return sub.arn

    async def _ask_confirmation(self, sub: Subscription) -> None:
        """Send the endpoint a SubscriptionConfirmation carrying the token (outbox row)."""
        message = Publication(
            message_id=str(uuid.uuid4()),
            topic_arn=sub.topic_arn,
            message=confirmation_message(sub.topic_arn),
            timestamp=self.clock.now(),
            type="SubscriptionConfirmation",
            token=sub.token,
        )
        await self.publisher.send_to(message, sub)

    async def confirm_subscription(self, topic_arn: str, token: str) -> str:
        """ConfirmSubscription (or a visit to the SubscribeURL): idempotent for a token."""
        if TopicArn.parse(topic_arn) is None:
            raise invalid("Topic")
        match = _TOKEN.match(token)
        sub_arn = f"{topic_arn}:{uuid.UUID(match[1])}" if match else ""
        sub = (await self.store.get_subscription(sub_arn)) if sub_arn else None
        if sub is None or not hmac.compare_digest(sub.token or "", token):
            raise invalid("Token")
        if sub.pending:
            attributes = dict(sub.attributes)
            attributes["PendingConfirmation"] = "false"
            await self.store.set_subscription_attributes(sub.arn, attributes)
        return sub.arn

    async def get_subscription(self, arn: str) -> Subscription:
        sub = (await self.store.get_subscription(arn)) if arn else None
        if sub is None:
            raise NotFound("Subscription does not exist")
        return sub

    async def unsubscribe(self, arn: str) -> None:
        """Idempotent: an unknown (well-formed) subscription ARN is not an error."""
        if not _SUBSCRIPTION_ARN.match(arn):
            raise invalid("SubscriptionId")
        await self.store.delete_subscription(arn)

    async def subscription_attributes(self, arn: str) -> dict[str, str]:
        sub = await self.get_subscription(arn)
        attributes = {
            "SubscriptionArn": sub.arn,
            "TopicArn": sub.topic_arn,
            "Owner": self.settings.account_id,
            "Protocol": sub.protocol,
            "Endpoint": sub.endpoint,
            "ConfirmationWasAuthenticated": "false" if sub.pending else "true",
            "PendingConfirmation": "false",
            "RawMessageDelivery": "false",
            "SubscriptionPrincipal": f"arn:aws:iam::{self.settings.account_id}:root",
            **sub.visible_attributes,
        }
        if attributes.get("FilterPolicy"):
            attributes.setdefault("FilterPolicyScope", "MessageAttributes")
        else:
            attributes.pop("FilterPolicy", None)
            attributes.pop("FilterPolicyScope", None)
        return attributes

    async def set_subscription_attribute(self, arn: str, name: str, value: str | None) -> None:
        sub = await self.get_subscription(arn)
        attributes = dict(sub.attributes)
        attributes[name] = validate.check_subscription_attribute(name, value or "", sub.protocol)
        # a scope change must still fit the policy
        validate.check_filter_policy(attributes, subscribing=False)
        await self.store.set_subscription_attributes(arn, attributes)

    async def list_subscriptions(
        self, topic_arn: str | None, token: str | None
    ) -> tuple[list[Subscription], str | None]:
        if topic_arn is not None:
            await self.get_topic(topic_arn)
        rows = await self.store.list_subscriptions(topic_arn, _after(token), PAGE_SIZE + 1)
        page = rows[:PAGE_SIZE]
        more = len(rows) > PAGE_SIZE
        return [s for _, s in page], (str(page[-1][0]) if more else None)


def _check_endpoint(topic: Topic, protocol: str, endpoint: str | None) -> None:
    if protocol in FOREIGN_PROTOCOLS:
        raise invalid(
            f"Protocol Reason: lambdalite delivers to {', '.join(PROTOCOLS)} endpoints only"
        )
    if protocol not in _ENDPOINTS:
        raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    if topic.fifo and protocol != "sqs":
        raise invalid(f"Invalid protocol type: {protocol}")
    pattern, label = _ENDPOINTS[protocol]
    if not endpoint or not pattern.match(endpoint):
        raise invalid(label if protocol in CONFIRMED_BY_ENDPOINT else f"{label} endpoint ARN")
    if protocol == "sqs" and endpoint.endswith(".fifo") and not topic.fifo:
        raise invalid(
            "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
            "standard SNS topics"
        )


def _after(token: str | None) -> int:
    if token is None:
        return 0
    if not token.isdigit():
        raise invalid("NextToken")
    return int(token)


def _default_policy(arn: str, account: str) -> str:
    actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ]
    statement: dict[str, Any] = {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": actions,
        "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
    }
    policy = {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]}
    return json.dumps(policy, separators=(",", ":"))

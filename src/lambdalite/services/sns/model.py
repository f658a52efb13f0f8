"""SNS value objects: topics, subscriptions, publications and their pending deliveries."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdalite.outbox.model import Claim, Entry

MAX_MESSAGE_BYTES = 256 * 1024  # message + attribute names, types and values (SNS quotas)
PAGE_SIZE = 100  # ListTopics / ListSubscriptions page size
PROTOCOLS = ("sqs", "lambda", "http", "https")  # what lambdalite delivers to
# The protocols AWS knows but lambdalite does not deliver to.
FOREIGN_PROTOCOLS = ("email", "email-json", "sms", "application", "firehose")
# Endpoints that must confirm before they receive notifications (SNS sends them a
# SubscriptionConfirmation with a token); sqs and lambda in the topic's account need not.
CONFIRMED_BY_ENDPOINT = ("http", "https")
# Where a subscription keeps its confirmation token: an attribute no API call shows.
TOKEN_ATTRIBUTE = "lambdalite:ConfirmationToken"
PENDING_ARN = "pending confirmation"  # what Subscribe answers for an unconfirmed endpoint
PENDING_LISTED = "PendingConfirmation"  # how List* show an unconfirmed subscription's ARN

_TOPIC_ARN = re.compile(r"^arn:aws[\w-]*:sns:([\w-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$")


@dataclass(frozen=True, slots=True)
class TopicArn:
    region: str
    account: str
    name: str

    @classmethod
    def parse(cls, arn: str) -> TopicArn | None:
        match = _TOPIC_ARN.match(arn)
        return None if match is None else cls(match[1], match[2], match[3])

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


@dataclass(frozen=True, slots=True)
class Topic:
    arn: str
    attributes: dict[str, str]

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"

    @property
    def pending(self) -> bool:
        return self.attributes.get("PendingConfirmation") == "true"

    @property
    def token(self) -> str | None:
        return self.attributes.get(TOKEN_ATTRIBUTE)

    @property
    def visible_attributes(self) -> dict[str, str]:
        return {k: v for k, v in self.attributes.items() if k != TOKEN_ATTRIBUTE}

    @property
    def dead_letter_arn(self) -> str | None:
        try:
            doc = json.loads(self.attributes.get("RedrivePolicy") or "{}")
        except ValueError:
            return None
        target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
        return target if isinstance(target, str) and target else None

    def to_doc(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "topic_arn": self.topic_arn,
            "protocol": self.protocol,
            "endpoint": self.endpoint,
            "attributes": self.attributes,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Subscription:
        return cls(
            doc["arn"], doc["topic_arn"], doc["protocol"], doc["endpoint"], dict(doc["attributes"])
        )


@dataclass(frozen=True, slots=True)
class Publication:
    """One accepted message, as delivered to every subscription it matched."""

    message_id: str
    topic_arn: str
    message: str
    timestamp: float
    subject: str | None = None
    # Wire form, binary values as bytes: {"Name": {"DataType", "StringValue"|"BinaryValue"}}
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # MessageStructure=json: the per-protocol messages ("default", "sqs", "lambda", ...)
    messages: dict[str, str] | None = None
    group_id: str | None = None
    deduplication_id: str | None = None
    sequence_number: str | None = None
    # "Notification", or "SubscriptionConfirmation" (sent to one new endpoint, with a token)
    type: str = "Notification"
    token: str | None = None

    def message_for(self, protocol: str) -> str:
        if self.messages is None:
            return self.message
        return self.messages.get(protocol, self.messages["default"])

    def to_doc(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "topic_arn": self.topic_arn,
            "message": self.message,
            "timestamp": self.timestamp,
            "subject": self.subject,
            "attributes": {k: _encode_attr(v) for k, v in self.attributes.items()},
            "messages": self.messages,
            "group_id": self.group_id,
            "deduplication_id": self.deduplication_id,
            "sequence_number": self.sequence_number,
            "type": self.type,
            "token": self.token,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Publication:
        fields = dict(doc)
        fields["attributes"] = {k: _decode_attr(v) for k, v in doc["attributes"].items()}
        return cls(**fields)


OUTBOX_KIND = "sns"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One publication owed to one subscription: an outbox row of kind OUTBOX_KIND (the
    publication is its body, the subscription as it was at publish time its meta)."""

    publication: Publication
    subscription: Subscription
    attempts: int

    @staticmethod
    def entry(pub: Publication, sub: Subscription, now: float) -> Entry:
        """The outbox row; a FIFO topic's rows go one at a time per subscription and group."""
        group = None if pub.group_id is None else f"{sub.arn}\n{pub.group_id}"
        return Entry(
            kind=OUTBOX_KIND,
            ref=sub.arn,
            target=sub.endpoint,
            body=json.dumps(pub.to_doc()),
            meta=json.dumps(sub.to_doc()),
            group=group,
            created_at=now,
            due_at=now,
        )

    @classmethod
    def of(cls, claim: Claim) -> Delivery:
        return cls(
            Publication.from_doc(json.loads(claim.body)),
            Subscription.from_doc(json.loads(claim.meta or "{}")),
            claim.attempts,
        )


def _encode_attr(attr: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(attr)
    if isinstance(out.get("BinaryValue"), bytes | bytearray):
        out["BinaryValue"] = base64.b64encode(out["BinaryValue"]).decode("ascii")
    return out


def _decode_attr(attr: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(attr)
    if isinstance(out.get("BinaryValue"), str):
        out["BinaryValue"] = base64.b64decode(out["BinaryValue"])
    return out

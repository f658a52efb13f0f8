"""What a subscriber receives: the SNS JSON notification (SQS), the raw message with SQS
message attributes (RawMessageDelivery), and the Lambda event (spec 6.5).

Signatures: lambdalite holds no SNS signing key, so ``Signature`` is a base64 SHA-1 digest
of the fields AWS signs (not an RSA signature) and ``SigningCertURL`` names a certificate
that is not served; code that verifies signatures must skip that step locally."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from lambdalite.services.sns.model import Publication, Subscription


def iso_timestamp(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def delivered_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``{"Name": {"Type": ..., "Value": ...}}``; binary values base64-encoded."""
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        binary = attr.get("BinaryValue")
        value = (
            base64.b64encode(bytes(binary)).decode("ascii")
            if binary is not None
            else attr.get("StringValue")
        )
        out[name] = {"Type": attr["DataType"], "Value": value}
    return out


def _signature(pub: Publication, message: str, subscribe_url: str | None = None) -> str:
    fields = ["Message", message, "MessageId", pub.message_id]
    if subscribe_url is not None:
        fields += ["SubscribeURL", subscribe_url]
    if pub.subject is not None:
        fields += ["Subject", pub.subject]
    fields += ["Timestamp", iso_timestamp(pub.timestamp)]
    if pub.token is not None:
        fields += ["Token", pub.token]
    fields += ["TopicArn", pub.topic_arn, "Type", pub.type]
    digest = hashlib.sha1("\n".join(fields).encode()).digest()
    return base64.b64encode(digest).decode("ascii")


def _urls(base_url: str, sub: Subscription) -> tuple[str, str]:
    cert = f"{base_url}/_lambdalite/sns/SimpleNotificationService-lambdalite.pem"
    unsubscribe = f"{base_url}/?Action=Unsubscribe&SubscriptionArn={quote(sub.arn, safe=':')}"
    return cert, unsubscribe


def subscribe_url(base_url: str, topic_arn: str, token: str) -> str:
    """Visiting it (an unsigned GET) confirms the subscription, as ConfirmSubscription does."""
    topic = quote(topic_arn, safe=":")
    return f"{base_url}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}"


def confirmation_message(topic_arn: str) -> str:
    return (
        f"You have chosen to subscribe to the topic {topic_arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )


def confirmation(pub: Publication, base_url: str) -> dict[str, Any]:
    """The SubscriptionConfirmation SNS POSTs to a new HTTP/S endpoint (SNS developer guide,
    "HTTP/HTTPS subscription confirmation JSON format")."""
    assert pub.token is not None
    url = subscribe_url(base_url, pub.topic_arn, pub.token)
    return {
        "Type": pub.type,
        "MessageId": pub.message_id,
        "Token": pub.token,
        "TopicArn": pub.topic_arn,
        "Message": pub.message,
        "SubscribeURL": url,
        "Timestamp": iso_timestamp(pub.timestamp),
        "SignatureVersion": "1",
        "Signature": _signature(pub, pub.message, url),
        "SigningCertURL": f"{base_url}/_lambdalite/sns/SimpleNotificationService-lambdalite.pem",
    }


def notification(pub: Publication, sub: Subscription, base_url: str) -> dict[str, Any]:
    """The JSON document SNS delivers to SQS (and HTTP/S) subscribers."""
    message = pub.message_for(sub.protocol)
    cert, unsubscribe = _urls(base_url, sub)
    doc: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": pub.message_id,
        "TopicArn": pub.topic_arn,
    }
    if pub.subject is not None:
        doc["Subject"] = pub.subject
    doc["Message"] = message
    doc["Timestamp"] = iso_timestamp(pub.timestamp)
    if pub.sequence_number is not None:
        doc["SequenceNumber"] = pub.sequence_number
    doc["SignatureVersion"] = "1"
    doc["Signature"] = _signature(pub, message)
    doc["SigningCertURL"] = cert
    doc["UnsubscribeURL"] = unsubscribe
    # SNS sends attributes only with a plain (non-json) message structure.
    if pub.attributes and pub.messages is None:
        doc["MessageAttributes"] = delivered_attributes(pub.attributes)
    return doc


def lambda_event(pub: Publication, sub: Subscription, base_url: str) -> dict[str, Any]:
    """The event a subscribed function receives (spec 6.5): note ``SigningCertUrl`` and
    ``UnsubscribeUrl`` are spelled differently from the JSON notification."""
    message = pub.message_for(sub.protocol)
    cert, unsubscribe = _urls(base_url, sub)
    attributes = delivered_attributes(pub.attributes) if pub.messages is None else {}
    sns: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": pub.message_id,
        "TopicArn": pub.topic_arn,
        "Subject": pub.subject,
        "Message": message,
        "Timestamp": iso_timestamp(pub.timestamp),
        "SignatureVersion": "1",
        "Signature": _signature(pub, message),
        "SigningCertUrl": cert,
        "UnsubscribeUrl": unsubscribe,
        "MessageAttributes": attributes,
    }
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": sub.arn,
        "Sns": sns,
    }
    return {"Records": [record]}


def raw_attributes(pub: Publication) -> dict[str, dict[str, Any]]:
    """Raw delivery to SQS: SNS message attributes become SQS message attributes."""
    if pub.messages is not None:
        return {}
    return {name: dict(attr) for name, attr in pub.attributes.items()}

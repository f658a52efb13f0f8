"""What SNS checks before it accepts a topic, a subscription attribute or a publication.

Messages follow AWS's wording where it is known (``Invalid parameter: ...`` under
``InvalidParameter``; attribute problems under ``ParameterValueInvalid``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from lambdalite.patterns import InvalidEventPattern, Pattern, SnsScope, compile_pattern
from lambdalite.patterns.sns import NESTED_IN_ATTRIBUTES_SCOPE, NOT_JSON
from lambdalite.services.sns.errors import InvalidParameter, ParameterValueInvalid, invalid
from lambdalite.services.sns.model import MAX_MESSAGE_BYTES

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_DATA_TYPE = re.compile(r"^(String|Number|Binary)(\.[^\s]+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_SUBJECT = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,98}$")
# Subscribe names the parameter its attribute problems come from; SetSubscriptionAttributes
# names only the attribute.
_ATTRIBUTES_REASON = "Attributes Reason: "

SUBSCRIPTION_ATTRIBUTES = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
_FEEDBACK = ("HTTP", "Firehose", "Lambda", "Application", "SQS")
TOPIC_ATTRIBUTES = frozenset(
    {
        "DisplayName",
        "Policy",
        "DeliveryPolicy",
        "TracingConfig",
        "KmsMasterKeyId",
        "SignatureVersion",
        "DataProtectionPolicy",
        "ContentBasedDeduplication",
        "ArchivePolicy",
        "FifoThroughputScope",
        *(f"{p}SuccessFeedbackRoleArn" for p in _FEEDBACK),
        *(f"{p}SuccessFeedbackSampleRate" for p in _FEEDBACK),
        *(f"{p}FailureFeedbackRoleArn" for p in _FEEDBACK),
    }
)


def check_topic_name(name: str, attributes: Mapping[str, str]) -> None:
    fifo = attributes.get("FifoTopic", "false").lower() == "true"
    if fifo and not _FIFO_TOPIC_NAME.match(name):
        raise invalid(
            "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
            "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between "
            "1 and 256 characters long."
        )
    if not fifo and not _TOPIC_NAME.match(name):
        raise invalid("Topic Name")


def check_topic_attribute(name: str, value: str, *, creating: bool) -> None:
    if name == "FifoTopic" and creating:
        if value.lower() not in ("true", "false"):
            raise invalid(f"Attributes Reason: FifoTopic: Invalid value [{value}]")
        return
    if name not in TOPIC_ATTRIBUTES:
        raise invalid("Attributes Reason: Unknown attribute" if creating else "AttributeName")
    if name in ("Policy", "DeliveryPolicy", "DataProtectionPolicy") and value:
        try:
            json.loads(value)
        except ValueError:
            raise invalid(f"{name}: failed to parse JSON.") from None


def check_subject(subject: str | None) -> None:
    if subject is not None and not _SUBJECT.match(subject):
        raise invalid("Subject")


def check_message_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> None:
    for name, attr in attributes.items():
        if len(name) > 256 or not _ATTR_NAME.match(name):
            raise ParameterValueInvalid(
                f"Invalid message attribute name '{name}': it can only include alphanumeric "
                "characters, hyphens, underscores, or dots, and must not start or end with a "
                "dot or contain successive dots."
            )
        _check_attribute_value(name, attr)


def _check_attribute_value(name: str, attr: Mapping[str, Any]) -> None:
    data_type = str(attr.get("DataType") or "")
    if not _DATA_TYPE.match(data_type):
        raise ParameterValueInvalid(
            f"The message attribute '{name}' has an invalid message attribute type, the set "
            "of supported type prefixes is Binary, Number, and String."
        )
    field = "BinaryValue" if data_type.startswith("Binary") else "StringValue"
    value = attr.get(field)
    if value is None or len(value) == 0:
        if attr.get("BinaryValue" if field == "StringValue" else "StringValue") is not None:
            raise ParameterValueInvalid(
                f"The message attribute '{name}' with type '{data_type}' must use field "
                f"'{field.removesuffix('Value')}'."
            )
        raise ParameterValueInvalid(
            f"The message attribute '{name}' must contain non-empty message attribute value "
            f"for message attribute type '{data_type}'."
        )
    if data_type.startswith("Number") and not _NUMBER.match(str(value).strip()):
        raise ParameterValueInvalid(f"Could not cast message attribute '{name}' value to number.")
    if data_type == "String.Array" and not _is_json_array(str(value)):
        raise ParameterValueInvalid(
            f"The message attribute '{name}' with type 'String.Array' must be a JSON array."
        )


def _is_json_array(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except ValueError:
        return False


def publication_size(message: str, attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Message bytes plus every attribute's name, type and value, as SNS counts them."""
    size = len(message.encode())
    for name, attr in attributes.items():
        size += len(name.encode())
        for part in attr.values():
            size += len(part) if isinstance(part, bytes | bytearray) else len(str(part).encode())
    return size


def check_size(message: str, attributes: Mapping[str, Mapping[str, Any]]) -> None:
    if publication_size(message, attributes) > MAX_MESSAGE_BYTES:
        raise invalid("Message too long")


def parse_structure(message: str, structure: str | None) -> dict[str, str] | None:
    """MessageStructure=json: the per-protocol messages (string values only, as SNS keeps)."""
    if structure is None:
        return None
    if structure != "json":
        raise invalid("MessageStructure")
    try:
        doc = json.loads(message)
    except ValueError:
        raise invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(doc, dict):
        raise invalid("Message Structure - JSON message body failed to parse")
    messages = {k: v for k, v in doc.items() if isinstance(v, str)}
    if "default" not in messages:
        raise invalid("Message Structure - No default entry in JSON message body")
    return messages


def check_subscription_attribute(
    name: str, value: str, protocol: str, *, subscribing: bool = False
) -> str:
    """Validate one subscription attribute; returns the value as stored."""
    if name not in SUBSCRIPTION_ATTRIBUTES:
        raise invalid("AttributeName")
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise invalid(f"RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        if protocol == "lambda" and value.lower() == "true":
            raise invalid("Delivery protocol [lambda] does not support raw message delivery.")
        return value.lower()
    if name == "FilterPolicyScope" and value not in ("MessageAttributes", "MessageBody"):
        raise invalid(
            f"{_ATTRIBUTES_REASON if subscribing else ''}FilterPolicyScope: Invalid value "
            f"[{value}]. Please use either MessageBody or MessageAttributes"
        )
    if name == "RedrivePolicy" and value:
        _check_redrive_policy(value)
    return value


def _check_redrive_policy(value: str) -> None:
    try:
        doc = json.loads(value)
    except ValueError:
        raise invalid("RedrivePolicy: failed to parse JSON.") from None
    target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    if not isinstance(target, str) or not target.startswith("arn:") or target.count(":") < 5:
        raise invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn")


def filter_policy(attributes: Mapping[str, str]) -> Pattern | None:
    """The compiled FilterPolicy of a subscription (None when it has none); raises
    `InvalidEventPattern` for a policy SNS would refuse (see `check_filter_policy`)."""
    source = attributes.get("FilterPolicy")
    if not source:
        return None
    scope: SnsScope = (
        "MessageBody"
        if attributes.get("FilterPolicyScope") == "MessageBody"
        else "MessageAttributes"
    )
    return compile_pattern(source, dialect="sns", sns_scope=scope)


def check_filter_policy(attributes: Mapping[str, str], *, subscribing: bool) -> None:
    """Refuse a FilterPolicy (or a scope it does not fit) with SNS's recorded wording:
    ``Invalid parameter: [Attributes Reason: ]FilterPolicy: <reason>``; Subscribe adds the
    ``Attributes Reason: `` part, and the nested-policy refusal names no attribute. (AWS
    also appends its JSON parser's position, `` at [Source: ...; line: 1, column: N]``,
    which lambdalite does not reproduce.)"""
    try:
        filter_policy(attributes)
    except InvalidEventPattern as exc:
        raise filter_policy_error(exc.reason, subscribing=subscribing) from None


def filter_policy_error(reason: str, *, subscribing: bool) -> InvalidParameter:
    if reason == NESTED_IN_ATTRIBUTES_SCOPE:
        what = reason
    elif reason == NOT_JSON:
        what = "FilterPolicy: failed to parse JSON."
    else:
        what = f"FilterPolicy: {reason}"
    return invalid(f"{_ATTRIBUTES_REASON if subscribing else ''}{what}")

"""The resources screen's forms (Send message, Put record, Publish, Put events): each
becomes the AWS operation's own input, validated against botocore's model and run by the
same handler the wire API runs, so what a form may do and the errors it gets are AWS's."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from lambdalite.api import events_api, json_protocol, kinesis_api, sns_api, sqs_api
from lambdalite.api.dispatch import ServiceSpec
from lambdalite.api.service_model import load_service
from lambdalite.errors import InvalidParameterValueException
from lambdalite.platform import Platform

Form = Mapping[str, list[str]]
MAX_ATTRIBUTES = 10  # SQS and SNS both take at most ten message attributes


def _value(form: Form, name: str) -> str:
    return (form.get(name) or [""])[0]


def _optional(form: Form, name: str) -> str | None:
    return _value(form, name) or None


def string_attributes(text: str) -> dict[str, dict[str, str]]:
    """`name=value` lines as String message attributes (the form's one attribute kind)."""
    found: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InvalidParameterValueException(
                f"Message attributes are name=value lines; {line!r} is not one"
            )
        found[name.strip()] = {"DataType": "String", "StringValue": value}
    if len(found) > MAX_ATTRIBUTES:
        raise InvalidParameterValueException(
            f"Number of message attributes [{len(found)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    return found


async def call(p: Platform, spec: ServiceSpec, operation: str, params: dict[str, Any]) -> Any:
    """Run `operation` as if its input had come over the wire: the model's parse and
    validation first (so a bad value gets the service's validation error), then the
    handler the dispatcher runs."""
    op = load_service(spec.name).operation_model(operation)
    body = json.dumps({k: v for k, v in params.items() if v is not None}).encode()
    parsed = json_protocol.parse_request(op, body)
    return await spec.operations[operation](p, parsed)


async def send_message(p: Platform, form: Form) -> dict[str, Any]:
    queue = p.sqs.queue(_value(form, "queue"))
    params = {
        "QueueUrl": p.sqs.url(queue.name, p.base_url),
        "MessageBody": _value(form, "body"),
        "MessageAttributes": string_attributes(_value(form, "attributes")) or None,
        "MessageGroupId": _optional(form, "group-id"),
        "MessageDeduplicationId": _optional(form, "deduplication-id"),
    }
    out = await call(p, sqs_api.SERVICE, "SendMessage", params)
    return {"queueName": queue.name, **out}


async def put_record(p: Platform, form: Form) -> dict[str, Any]:
    params = {
        "StreamName": _value(form, "stream"),
        "PartitionKey": _value(form, "partition-key"),
        "Data": base64.b64encode(_value(form, "data").encode()).decode(),
    }
    out = await call(p, kinesis_api.SERVICE, "PutRecord", params)
    return {"streamName": params["StreamName"], **out}


async def publish(p: Platform, form: Form) -> dict[str, Any]:
    params = {
        "TopicArn": p.sns.topic_arn(_value(form, "topic")),
        "Message": _value(form, "message"),
        "Subject": _optional(form, "subject"),
        "MessageAttributes": string_attributes(_value(form, "attributes")) or None,
        "MessageGroupId": _optional(form, "group-id"),
        "MessageDeduplicationId": _optional(form, "deduplication-id"),
    }
    out = await call(p, sns_api.SERVICE, "Publish", params)
    return {"topicArn": params["TopicArn"], **out}


async def put_events(p: Platform, form: Form) -> dict[str, Any]:
    entry = {
        "EventBusName": _value(form, "bus") or "default",
        "Source": _value(form, "source"),
        "DetailType": _value(form, "detail-type"),
        "Detail": _value(form, "detail"),
    }
    out = await call(p, events_api.SERVICE, "PutEvents", {"Entries": [entry]})
    return {"busName": entry["EventBusName"], **out}


FORMS = {
    "send-message": send_message,
    "put-record": put_record,
    "publish": publish,
    "put-events": put_events,
}

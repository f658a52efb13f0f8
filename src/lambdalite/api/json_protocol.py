"""The awsJson 1.0 / 1.1 protocol (``X-Amz-Target`` + JSON body), driven by botocore's model.

Requests: the body is the operation's input structure as JSON; it is decoded along the shape
(blobs base64, timestamps epoch seconds) by ``wire_json``'s decoder and checked by
``wire_validate``. Responses: the output structure as JSON, ``application/x-amz-json-<v>``
with ``<v>`` the model's ``jsonVersion``.

Errors: ``{"__type": <shape name>, "message": ...}``; botocore keeps what follows ``#``, so
SQS gets the ``com.amazonaws.sqs#`` form its docs show ("Interpreting Amazon SQS JSON API
responses"), the others the bare name Kinesis, Logs and EventBridge send. A service marked
``awsQueryCompatible`` (SQS) also gets ``x-amzn-query-error: <query code>;<Sender|Receiver>``;
botocore then reports the query code as ``Error.Code`` and raises the modelled class
(``QueueDoesNotExist`` → ``AWS.SimpleQueueService.NonExistentQueue``). Query codes come from
the service's query model (``query_protocol.query_model``), which the caller passes in.

Input errors per service (what the framework says before any handler runs):

    service  bad JSON / wrong type    constraint violated        top-level required missing
    sqs      SerializationException   InvalidParameterValue      MissingParameter (1)
    sns (q)  -                        ValidationError (2)        ValidationError
    events   SerializationException   ValidationException (3)    ValidationException
    kinesis  SerializationException   ValidationException (3)    ValidationException
    logs     SerializationException   InvalidParameterException  InvalidParameterException (4)
    other    SerializationException   ValidationException        ValidationException

(1) "The request must contain the parameter X." as SQS words it (seen in the wild, e.g.
aws-controllers-k8s/community#2139); SQS's model has almost no constraints, so missing
parameters are what clients meet. (2) AWS "Common Errors" (query services);
exact SNS wording unconfirmed. (3) Coral's "N validation errors detected: ..." text.
(4) CloudWatch Logs reports Coral's text under InvalidParameterException.
Unknown operations: ``UnknownOperationException`` (400), as the awsJson spec names it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple, cast

from botocore.model import OperationModel, ServiceModel, Shape

from lambdalite.api.http import Headers
from lambdalite.api.wire_json import BODY_PREFIX, _Decoder, encode_value, parse_json_text
from lambdalite.api.wire_validate import collect_errors, format_errors
from lambdalite.errors import AwsError, InvalidRequestContentException

__all__ = [
    "ErrorFacts",
    "check_input",
    "content_type",
    "error_facts",
    "error_response",
    "parse_document",
    "parse_request",
    "serialize_response",
    "wire_error",
]

# service -> (code for a violated constraint, missing params reported as MissingParameter)
_VALIDATION: dict[str, tuple[str, bool]] = {
    "sqs": ("InvalidParameterValue", True),
    "sns": ("ValidationError", False),
    "events": ("ValidationException", False),
    "kinesis": ("ValidationException", False),
    "logs": ("InvalidParameterException", False),
    "cloudwatch": ("InvalidParameterValue", True),
}
_DEFAULT_VALIDATION = ("ValidationException", False)
# awsQueryCompatible (SQS): the __type of SQS's common errors, whose query code (the
# x-amzn-query-error header) is the short name (recorded from AWS: botocore reports it as
# QueryErrorCode).
_QUERY_COMPATIBLE_TYPES = {
    "InvalidParameterValue": "InvalidParameterValueException",
    "MissingParameter": "MissingRequiredParameterException",
}
# SQS's model lists queue attribute names as the enum of ReceiveMessage's AttributeNames,
# yet SQS accepts message attribute names there and answers unknown names itself
# (InvalidAttributeName); its handlers check names, so model enums are not enforced.
_NO_ENUM_CHECK = frozenset({"sqs"})


class ProtocolError(AwsError):
    """An error the protocol layer raises before (or instead of) a handler."""

    has_type = False


@cache
def wire_error(code: str, status: int = 400) -> type[AwsError]:
    """The ``AwsError`` subclass for a wire ``code`` (one class per code, cached)."""
    return cast(type[AwsError], type(code, (ProtocolError,), {"code": code, "status_code": status}))


class ErrorFacts(NamedTuple):
    code: str  # the query error code: what botocore reports as Error.Code
    status: int
    sender_fault: bool


@cache
def _error_shapes(model: ServiceModel) -> dict[str, Shape]:
    return {shape.name: shape for shape in model.error_shapes}


def error_facts(model: ServiceModel | None, exc: AwsError) -> ErrorFacts:
    """The model's ``error`` trait for ``exc`` (by shape name), else the class's attributes."""
    shape = _error_shapes(model).get(exc.wire_code) if model is not None else None
    trait: Mapping[str, Any] = shape.metadata.get("error", {}) if shape is not None else {}
    status = int(trait.get("httpStatusCode", exc.status_code))
    sender = bool(trait["senderFault"]) if "senderFault" in trait else status < 500
    return ErrorFacts(str(trait.get("code", exc.wire_code)), status, sender)


def content_type(model: ServiceModel | None) -> bytes:
    version = model.metadata.get("jsonVersion", "1.0") if model is not None else "1.1"
    return f"application/x-amz-json-{version}".encode()


def check_input(
    model: ServiceModel,
    shape: Shape,
    params: Mapping[str, Any],
    wire_names: Mapping[str, str] | None = None,
) -> None:
    """Raise the service's validation error (see the module table) for bad ``params``."""
    code, missing_style = _VALIDATION.get(model.service_name, _DEFAULT_VALIDATION)
    if missing_style:
        for name in shape.required_members:
            if params.get(name) is None:
                wire = (wire_names or {}).get(name, name)
                raise wire_error("MissingParameter")(
                    f"The request must contain the parameter {wire}."
                )
    errors = collect_errors(shape, params, enums=model.service_name not in _NO_ENUM_CHECK)
    if errors:
        raise wire_error(code)(format_errors(errors))


class _Lenient(_Decoder):
    # Coral's JSON services ignore members they do not know (newer SDKs send newer
    # members); the rest-json decoder rejects them, as Lambda does.
    def structure(self, shape: Shape, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k in shape.members}
        return super().structure(shape, value)


def parse_request(op: OperationModel, body: bytes) -> dict[str, Any]:
    """Validated input params of ``op`` from a JSON 1.x body."""
    shape = op.input_shape
    if shape is None:
        return {}
    try:
        doc = parse_json_text(body) if body.strip() else {}
    except InvalidRequestContentException as exc:
        detail = exc.message.removeprefix(BODY_PREFIX)
        raise wire_error("SerializationException")(detail) from None
    return parse_document(op, doc)


def parse_document(op: OperationModel, doc: Any) -> dict[str, Any]:
    """Validated input params of ``op`` from its decoded JSON document (also CBOR's, once
    its own types are in their JSON forms: cbor_protocol)."""
    shape = op.input_shape
    if shape is None:
        return {}
    try:
        params = _Lenient().structure(shape, doc)
    except InvalidRequestContentException as exc:
        detail = exc.message.removeprefix(BODY_PREFIX)
        raise wire_error("SerializationException")(detail) from None
    check_input(op.service_model, shape, params)
    return params


def serialize_response(op: OperationModel, output: Mapping[str, Any]) -> tuple[int, Headers, bytes]:
    shape = op.output_shape
    doc = encode_value(shape, dict(output)) if shape is not None else {}
    body = json.dumps(doc, separators=(",", ":")).encode()
    return 200, [(b"content-type", content_type(op.service_model))], body


def error_response(
    model: ServiceModel | None,
    exc: AwsError,
    request_id: str,
    query_model: ServiceModel | None = None,
) -> tuple[int, Headers, bytes]:
    """The JSON error document for ``exc``; ``query_model`` turns on awsQueryCompatible."""
    facts = error_facts(query_model or model, exc)
    prefix = f"com.amazonaws.{model.endpoint_prefix}#" if query_model is not None and model else ""
    extra = {k: v for k, v in exc.body().items() if k not in ("Type", "message", "Message")}
    wire_type = exc.wire_code
    if query_model is not None:
        wire_type = _QUERY_COMPATIBLE_TYPES.get(wire_type, wire_type)
    doc = {"__type": prefix + wire_type, "message": exc.message, **extra}
    headers: Headers = [
        (b"content-type", content_type(model)),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    if query_model is not None:
        fault = "Sender" if facts.sender_fault else "Receiver"
        headers.append((b"x-amzn-query-error", f"{facts.code};{fault}".encode()))
    headers.extend((k.encode(), v.encode()) for k, v in exc.headers().items())
    return facts.status, headers, json.dumps(doc).encode()

"""The AWS query protocol (form-encoded ``Action`` requests, XML responses), model-driven.

Requests invert botocore's ``QuerySerializer``: members by ``locationName`` (else their own
name), nested with dots; lists as ``Name.member.N`` (``Name.<locationName>.N``) or, when
``flattened``, ``Name.N`` with ``Name`` swapped for the member's ``locationName``; maps as
``Name.entry.N.key/value`` or, flattened, ``Name.N.<key name>/<value name>``; an empty
list as ``Name=``. Responses are what botocore's ``QueryParser`` reads:
``<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId>`` with the same
list/map conventions, and errors as ``<ErrorResponse><Error><Type/><Code/><Message/>``.

SQS over query: botocore now ships only SQS's json model, which kept the ``flattened``
flags but lost the query names. ``query_model("sqs")`` rebuilds the legacy 2012-11-05
query model from the current shapes plus the few names below (taken from botocore's last
query-protocol SQS model): list members (``Message``, ``QueueUrl``, ``AttributeName``…),
map entries (``Attribute.N.Name/Value``, ``Tag.N.Key/Value``), result wrappers and the
query error codes. One set of shapes serves both protocols, so the handlers are shared.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, SubElement, tostring

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from lambdalite.api.http import Headers, Request
from lambdalite.api.json_protocol import check_input, error_facts, wire_error
from lambdalite.api.service_model import load_service
from lambdalite.errors import AwsError

__all__ = [
    "check_version",
    "error_response",
    "parse_request",
    "query_model",
    "read_form",
    "serialize_response",
]

XML = b"text/xml"
SQS_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"
# List shape -> member locationName; every "...EntryList" is named after its entry shape.
_SQS_LIST_MEMBERS = {
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "MessageList": "Message",
    "QueueUrlList": "QueueUrl",
    "TagKeyList": "TagKey",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
}
_SQS_MAP_NAMES = {
    "QueueAttributeMap": "Attribute",
    "MessageSystemAttributeMap": "Attribute",
    "TagMap": "Tag",
    "MessageBodyAttributeMap": "MessageAttribute",
    "MessageBodySystemAttributeMap": "MessageSystemAttribute",
}
# Error shape -> (query code, HTTP status); legacy model, KMS codes from SQS's smithy model.
_SQS = "AWS.SimpleQueueService."
_SQS_ERRORS = {
    "QueueDoesNotExist": (_SQS + "NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "QueueDeletedRecently": (_SQS + "QueueDeletedRecently", 400),
    "PurgeQueueInProgress": (_SQS + "PurgeQueueInProgress", 403),
    "OverLimit": ("OverLimit", 403),
    "MessageNotInflight": (_SQS + "MessageNotInflight", 400),
    "UnsupportedOperation": (_SQS + "UnsupportedOperation", 400),
    **{
        name: (_SQS + name, 400)
        for name in (
            "BatchEntryIdsNotDistinct",
            "BatchRequestTooLong",
            "EmptyBatchRequest",
            "InvalidBatchEntryId",
            "TooManyEntriesInBatchRequest",
        )
    },
    "KmsAccessDenied": ("KMS.AccessDeniedException", 400),
    "KmsDisabled": ("KMS.DisabledException", 400),
    "KmsInvalidKeyUsage": ("KMS.InvalidKeyUsageException", 400),
    "KmsInvalidState": ("KMS.InvalidStateException", 400),
    "KmsNotFound": ("KMS.NotFoundException", 400),
    "KmsOptInRequired": ("KMS.OptInRequired", 403),
    "KmsThrottled": ("KMS.ThrottlingException", 400),
}


# SQS words a missing queue differently over query (recorded from AWS).
_SQS_QUERY_MESSAGES = {
    ("QueueDoesNotExist", "The specified queue does not exist."): (
        "The specified queue does not exist for this wsdl version."
    ),
}
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_version(model: ServiceModel, form: Mapping[str, str]) -> None:
    """SQS's common errors for the ``Version`` parameter: ``MalformedVersion`` when it is no
    date, ``NoSuchVersion`` when it is not the API's (2012-11-05). A request without one is
    served as before (curl users); other services' wording is unconfirmed, so SQS only."""
    version = form.get("Version")
    if version is None or model.service_name != "sqs":
        return
    if not _VERSION.match(version):
        raise wire_error("MalformedVersion")(
            f"Version not well formed: {version}. Must be in YYYY-MM-DD format."
        )
    if version != model.api_version:
        raise wire_error("NoSuchVersion")("An incorrect version was specified in the request.")


def _sqs_query_traits(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["metadata"].update(protocol="query", protocols=["query"], xmlNamespace=SQS_NAMESPACE)
    for name, op in doc["operations"].items():
        if "output" in op:
            op["output"]["resultWrapper"] = f"{name}Result"
    for name, shape in doc["shapes"].items():
        if shape["type"] == "list":
            member = _SQS_LIST_MEMBERS.get(name) or (
                name.removesuffix("List") if name.endswith("EntryList") else None
            )
            if member is not None:
                shape["member"]["locationName"] = member
        elif shape["type"] == "map":
            shape["key"]["locationName"] = "Key" if name == "TagMap" else "Name"
            shape["value"]["locationName"] = "Value"
            if name in _SQS_MAP_NAMES:
                shape["locationName"] = _SQS_MAP_NAMES[name]
        elif name in _SQS_ERRORS:
            code, status = _SQS_ERRORS[name]
            shape["error"] = {"code": code, "httpStatusCode": status, "senderFault": True}
    return doc


@cache
def query_model(name: str) -> ServiceModel:
    """The query-protocol model of ``name``: botocore's own, or SQS's rebuilt legacy one."""
    if name != "sqs":
        return load_service(name)
    doc = Loader().load_service_model("sqs", "service-2")
    return ServiceModel(_sqs_query_traits(doc), service_name="sqs")


def read_form(request: Request) -> dict[str, str]:
    """The query parameters of a form body and of the query string (body wins)."""
    form = dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True))
    if request.body:
        form.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return form


class _Form:
    """Reads one structure out of flat ``a.b.N.c`` keys, guided by the shape."""

    def __init__(self, model: ServiceModel, form: Mapping[str, str]) -> None:
        self.model = model
        self.form = form
        self.prefixes: set[str] = set()
        for key in form:
            parts = key.split(".")
            self.prefixes.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))

    def structure(self, shape: Shape, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            value = self.value(member, f"{prefix}.{wire}" if prefix else wire)
            if value is not None:
                out[name] = value
        return out

    def value(self, shape: Shape, key: str) -> Any:
        kind = shape.type_name
        if kind == "list":
            return self.list(shape, key)
        if kind == "map":
            return self.map(shape, key)
        if kind == "structure":
            return self.structure(shape, key) if key in self.prefixes else None
        raw = self.form.get(key)
        return None if raw is None else self.scalar(shape, key, raw)

    def list(self, shape: Shape, key: str) -> list[Any] | None:
        if self.form.get(key) == "":
            return []
        item = shape.member.serialization.get("name")
        if not shape.serialization.get("flattened"):
            base = f"{key}.{item or 'member'}"
        else:
            base = key if item is None else ".".join([*key.split(".")[:-1], item])
        items: list[Any] = []
        while f"{base}.{len(items) + 1}" in self.prefixes:
            items.append(self.value(shape.member, f"{base}.{len(items) + 1}"))
        return items or None

    def map(self, shape: Shape, key: str) -> dict[str, Any] | None:
        base = key if shape.serialization.get("flattened") else f"{key}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out: dict[str, Any] = {}
        i = 1
        while f"{base}.{i}" in self.prefixes:
            k = self.value(shape.key, f"{base}.{i}.{key_name}")
            out[k] = self.value(shape.value, f"{base}.{i}.{value_name}")
            i += 1
        return out or None

    def scalar(self, shape: Shape, key: str, raw: str) -> Any:
        kind = shape.type_name
        try:
            if kind in ("integer", "long"):
                return int(raw)
            if kind in ("float", "double"):
                return float(raw)
            if kind == "boolean" and raw in ("true", "false"):
                return raw == "true"
            if kind == "blob":
                return base64.b64decode(raw, validate=True)
            if kind == "timestamp":
                return _timestamp(raw)
            if kind in ("string", "character"):
                return raw
        except (ValueError, binascii.Error, OverflowError):
            pass
        raise self.invalid(key, raw, kind)

    def invalid(self, key: str, raw: str, kind: str) -> AwsError:
        code = (
            "InvalidParameterValue"
            if self.model.service_name in ("sqs", "cloudwatch")
            else "ValidationError"
        )
        return wire_error(code)(f"Value ({raw}) for parameter {key} is invalid. Expected: {kind}.")


def _timestamp(raw: str) -> datetime:
    if raw.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(raw), tz=UTC)
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_request(op: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    """Validated input params of ``op`` from its form parameters (``Action`` etc. ignored)."""
    shape = op.input_shape
    if shape is None:
        return {}
    params = _Form(op.service_model, form).structure(shape, "")
    wire = {n: m.serialization.get("name", n) for n, m in shape.members.items()}
    check_input(op.service_model, shape, params, wire)
    return params


def _text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind == "timestamp" and isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return str(value)


def _put(parent: Element, shape: Shape, name: str, value: Any) -> None:
    kind = shape.type_name
    flat = bool(shape.serialization.get("flattened"))
    if kind == "list":
        tag = shape.member.serialization.get("name", name if flat else "member")
        holder = parent if flat else SubElement(parent, name)
        for item in value:
            _put(holder, shape.member, tag, item)
    elif kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        holder = parent if flat else SubElement(parent, name)
        for k, v in value.items():
            entry = SubElement(holder, name if flat else "entry")
            _put(entry, shape.key, key_name, k)
            _put(entry, shape.value, value_name, v)
    elif kind == "structure":
        _members(SubElement(parent, name), shape, value)
    else:
        SubElement(parent, name).text = _text(shape, value)


def _members(node: Element, shape: Shape, value: Mapping[str, Any]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is not None:
            _put(node, member, member.serialization.get("name", name), item)


def _document(root: Element) -> bytes:
    return b'<?xml version="1.0"?>' + tostring(root, encoding="unicode").encode()


def serialize_response(
    op: OperationModel, output: Mapping[str, Any], request_id: str
) -> tuple[int, Headers, bytes]:
    namespace = op.service_model.metadata.get("xmlNamespace", "")
    root = Element(f"{op.name}Response", xmlns=namespace)
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{op.name}Result")
        _members(SubElement(root, wrapper), shape, output)
    SubElement(SubElement(root, "ResponseMetadata"), "RequestId").text = request_id
    return 200, [(b"content-type", XML)], _document(root)


def error_response(
    model: ServiceModel | None, exc: AwsError, request_id: str
) -> tuple[int, Headers, bytes]:
    facts = error_facts(model, exc)
    namespace = model.metadata.get("xmlNamespace", "") if model is not None else ""
    root = Element("ErrorResponse", xmlns=namespace)
    error = SubElement(root, "Error")
    SubElement(error, "Type").text = "Sender" if facts.sender_fault else "Receiver"
    SubElement(error, "Code").text = facts.code
    message = exc.message
    if model is not None and model.service_name == "sqs":
        message = _SQS_QUERY_MESSAGES.get((exc.wire_code, message), message)
    SubElement(error, "Message").text = message
    SubElement(root, "RequestId").text = request_id
    headers: Headers = [(b"content-type", XML), (b"x-amzn-requestid", request_id.encode())]
    headers.extend((k.encode(), v.encode()) for k, v in exc.headers().items())
    return facts.status, headers, _document(root)

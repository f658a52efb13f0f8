"""FilterCriteria for every poller: which records reach the function (spec 5.2-5.5).

`RecordFilter(patterns)` compiles the mapping's patterns once (the ``esm`` dialect of the
project's one matcher) and answers per record; patterns are ORed, no patterns keep
everything. The source's data field is matched decoded: SQS ``body`` parsed as JSON,
Kinesis ``data`` base64-decoded and parsed as JSON. When the data's format does not fit
what a pattern says about it the record does not match that pattern (spec 5.4):

============================  ==========================  ==================================
data                          pattern for the data key    result
============================  ==========================  ==================================
plain text                    a value list (``["x"]``)    matched against the text
plain text                    an object                   no match (dropped)
JSON object/array             a value list                no match (dropped)
JSON object/array             an object                   matched against the parsed data
either                        none                        metadata only
============================  ==========================  ==================================

A body such as ``42`` or ``"x"`` parses as a JSON scalar; it is treated as plain text (a
pattern object could never match it). Metadata (``messageId``, ``attributes``,
``partitionKey``, ...) is plain JSON and matched as is; for Kinesis the fields of the
record's ``kinesis`` object are lifted to the top level, as AWS's filter docs show them.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.patterns import Pattern, compile_pattern

SQS_DATA_KEY = "body"
KINESIS_DATA_KEY = "data"
_NOT_TEXT = object()  # data that is not UTF-8 text: only metadata patterns can match


class _DataRule(enum.Enum):
    NONE = "none"  # the pattern does not name the data key: metadata only
    TEXT = "text"  # a value list: matches plain-text data
    JSON = "json"  # an object: matches JSON data
    ANY = "any"  # named under $or: give it the data decoded as well as it goes


def _data_rule(pattern: Pattern, key: str) -> _DataRule:
    source = pattern.source
    if key in source:
        return _DataRule.JSON if isinstance(source[key], dict) else _DataRule.TEXT
    if "$or" in source and key in json.dumps(source["$or"]):
        return _DataRule.ANY
    return _DataRule.NONE


def _decode_json(text: str) -> Any:
    """The parsed data when it is a JSON object or array, else the text unchanged."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class RecordFilter:
    """A mapping's FilterCriteria, compiled. Immutable; share it between a poller's loops."""

    def __init__(self, patterns: Sequence[str] | None) -> None:
        self._patterns = [compile_pattern(p, dialect="esm") for p in patterns or ()]
        self._sqs = [(p, _data_rule(p, SQS_DATA_KEY)) for p in self._patterns]
        self._kinesis = [(p, _data_rule(p, KINESIS_DATA_KEY)) for p in self._patterns]

    @property
    def active(self) -> bool:
        """False when there are no patterns: everything matches, no need to look."""
        return bool(self._patterns)

    def matches_sqs(self, record: Mapping[str, Any]) -> bool:
        """`record`: one SQS event record (spec 4.4.1), ``body`` the raw string."""
        if not self._patterns:
            return True
        return self._matches(self._sqs, sqs_view(record), SQS_DATA_KEY)

    def matches_kinesis(self, record: Mapping[str, Any]) -> bool:
        """`record`: one Kinesis event record (spec 4.5.1), or its ``kinesis`` object."""
        if not self._patterns:
            return True
        return self._matches(self._kinesis, kinesis_view(record), KINESIS_DATA_KEY)

    def matches_record(self, record: Mapping[str, Any]) -> bool:
        """`record`: an event record whose data is already structured (DynamoDB's
        ``dynamodb`` object, spec 5.4): patterns see it as it is."""
        return not self._patterns or any(p.matches(record) for p in self._patterns)

    @staticmethod
    def _matches(
        rules: Sequence[tuple[Pattern, _DataRule]], view: Mapping[str, Any], key: str
    ) -> bool:
        data = view.get(key)
        structured = isinstance(data, (dict, list))
        text_view: Mapping[str, Any] | None = None
        for pattern, rule in rules:
            if rule is _DataRule.JSON and not structured:
                continue
            if rule is _DataRule.TEXT and (structured or data is _NOT_TEXT):
                continue
            candidate = view
            if data is _NOT_TEXT:
                if text_view is None:
                    text_view = {k: v for k, v in view.items() if k != key}
                candidate = text_view
            if pattern.matches(candidate):
                return True
        return False


def sqs_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What SQS patterns see: the record with ``body`` parsed when it is JSON."""
    view = dict(record)
    body = view.get(SQS_DATA_KEY)
    if isinstance(body, str):
        view[SQS_DATA_KEY] = _decode_json(body)
    return view


def kinesis_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What Kinesis patterns see: the record's ``kinesis`` fields lifted to the top, with
    ``data`` base64-decoded and parsed when it is JSON."""
    inner = record.get("kinesis")
    view = {k: v for k, v in record.items() if k != "kinesis"}
    if isinstance(inner, Mapping):
        view.update(inner)
    raw = view.get(KINESIS_DATA_KEY)
    if isinstance(raw, str):
        try:
            text = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            view[KINESIS_DATA_KEY] = _NOT_TEXT
        else:
            view[KINESIS_DATA_KEY] = _decode_json(text)
    return view

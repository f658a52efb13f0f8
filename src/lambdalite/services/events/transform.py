"""What a target receives: the event, `Input`, `InputPath` or `InputTransformer`.

JSONPath is the subset EventBridge documents for these fields: ``$``, dotted names and
``[n]`` indexes (``$.detail.items[0].id``).

InputTemplate placeholders ``<name>`` take their value from InputPathsMap or from the
predefined ``aws.events.*`` variables; PutTargets refuses any other (`placeholders`). What a
placeholder becomes depends on where it stands (AWS-recorded unless noted):

- outside a JSON string, the value as JSON: strings get quotes, objects and arrays stay JSON;
- inside a JSON string, the value as text, not escaped (the user guide: "EventBridge doesn't
  escape values extracted by Input Path"); an object or an array there loses its quotes:
  ``{"a": "b"}`` becomes ``{a:b}`` and ``["x", "y"]`` becomes ``[x,y]``;
- a path that leads nowhere yields the empty string: nothing inside a string, ``""``
  outside one;
- ``aws.events.event`` is the event without ``detail``, with ``detail-type`` spelled
  ``detailType``; ``aws.events.event.json`` is the whole event; both are JSON objects;
  ``aws.events.event.ingestion-time`` is when EventBridge received the event (ISO 8601).

The rendered text is delivered as it stands: a template that is a quoted string
(``"<instance> is <state>"``) delivers the quotes too, as AWS does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "PREDEFINED",
    "PathError",
    "check_path",
    "extract",
    "placeholders",
    "render_template",
    "target_payload",
]

_STEP = re.compile(r"\.([A-Za-z0-9_\-$@]+)|\[(\d+)\]|\['([^']*)'\]")
_PLACEHOLDER = re.compile(r"<([^<>\s\"]+)>")
_MISSING = object()

PREDEFINED = frozenset(
    {
        "aws.events.rule-arn",
        "aws.events.rule-name",
        "aws.events.event.ingestion-time",
        "aws.events.event",
        "aws.events.event.json",
    }
)
# The order AWS writes aws.events.event in (recorded).
_EVENT_FIELDS = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")


class PathError(ValueError):
    """Not a JSONPath EventBridge accepts."""


def _steps(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise PathError(path)
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise PathError(path)
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name or quoted or ""))
        position = match.end()
    return steps


def check_path(path: str) -> None:
    _steps(path)


def extract(document: Any, path: str) -> Any:
    """The value at `path` in `document`, or _MISSING."""
    value = document
    for step in _steps(path):
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def placeholders(template: str) -> list[str]:
    """The variable names `template` uses, in order."""
    return _PLACEHOLDER.findall(template)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _variables(
    event: Mapping[str, Any],
    paths: Mapping[str, str],
    rule_name: str,
    rule_arn: str,
    ingested_at: float | None,
) -> dict[str, Any]:
    values = {key: extract(event, path) for key, path in paths.items()}
    summary = {
        ("detailType" if name == "detail-type" else name): event[name]
        for name in _EVENT_FIELDS
        if name in event
    }
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event.ingestion-time": (
                _iso(ingested_at) if ingested_at is not None else event.get("time", "")
            ),
            "aws.events.event": summary,
            "aws.events.event.json": dict(event),
        }
    )
    return values


def _as_text(value: Any) -> str:
    """A value written inside a JSON string: not escaped, objects and arrays unquoted."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{_as_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_as_text(item) for item in value) + "]"
    return json.dumps(value)


def _render(value: Any, in_string: bool) -> str:
    if value is _MISSING:
        value = ""
    return _as_text(value) if in_string else json.dumps(value)


def render_template(template: str, variables: Mapping[str, Any]) -> str:
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        char = template[i]
        match = _PLACEHOLDER.match(template, i) if char == "<" else None
        if match is not None and match.group(1) in variables:
            out.append(_render(variables[match.group(1)], in_string))
            i = match.end()
            continue
        if char == "\\" and in_string and i + 1 < len(template):
            out.append(template[i : i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        i += 1
    return "".join(out)


def target_payload(
    target: Mapping[str, Any],
    event: Mapping[str, Any],
    rule_name: str,
    rule_arn: str,
    ingested_at: float | None = None,
) -> str:
    """The text a target receives for `event` (received by EventBridge at `ingested_at`)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = extract(event, target["InputPath"])
        return "null" if value is _MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if transformer:
        paths = transformer.get("InputPathsMap") or {}
        variables = _variables(event, paths, rule_name, rule_arn, ingested_at)
        return render_template(transformer["InputTemplate"], variables)
    return json.dumps(event)

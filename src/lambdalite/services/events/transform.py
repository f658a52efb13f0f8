"""What a target receives: the event, `Input`, `InputPath` or `InputTransformer`.

JSONPath is the subset EventBridge documents for these fields: ``$``, dotted names and
``[n]`` indexes (``$.detail.items[0].id``); a path that leads nowhere yields nothing
(``null`` in a JSON template, an empty string inside a quoted one).

InputTemplate placeholders ``<name>`` take their value from InputPathsMap or from the
reserved ``aws.events.*`` variables. Outside a JSON string a value is written as JSON
(strings get quotes); inside a JSON string it is written as text, escaped so the result
stays valid JSON. The rendered text is delivered as it stands: a template that is a quoted
string (``"<instance> is <state>"``) delivers the quotes too, as AWS does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PathError", "check_path", "extract", "render_template", "target_payload"]

_STEP = re.compile(r"\.([A-Za-z0-9_\-$@]+)|\[(\d+)\]|\['([^']*)'\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_\-.]+)>")
_MISSING = object()


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


def _variables(
    event: Mapping[str, Any], paths: Mapping[str, str], rule_name: str, rule_arn: str
) -> dict[str, Any]:
    values = {key: extract(event, path) for key, path in paths.items()}
    event_text = json.dumps(event)
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event.ingestion-time": event.get("time", ""),
            "aws.events.event": _Raw(event_text),
            "aws.events.event.json": event_text,
        }
    )
    return values


class _Raw(str):
    """A value written verbatim (the whole event), never quoted or escaped."""


def _render(value: Any, in_string: bool) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if value is _MISSING:
        return "" if in_string else "null"
    if in_string:
        text = value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]
    return json.dumps(value)


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
    target: Mapping[str, Any], event: Mapping[str, Any], rule_name: str, rule_arn: str
) -> str:
    """The text a target receives for `event`."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = extract(event, target["InputPath"])
        return "null" if value is _MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if transformer:
        variables = _variables(event, transformer.get("InputPathsMap") or {}, rule_name, rule_arn)
        return render_template(transformer["InputTemplate"], variables)
    return json.dumps(event)

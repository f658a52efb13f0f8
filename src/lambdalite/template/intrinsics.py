"""CloudFormation's intrinsic functions, resolved against what is deployed so far.

`resolve` turns a property value into plain JSON: Ref, Fn::GetAtt, Fn::Sub, Fn::Join,
Fn::Select, Fn::Split, Fn::If, Fn::FindInMap, Fn::ImportValue, Fn::Base64, Fn::GetAZs and
the condition functions. `references` lists the resources a value depends on, for the graph.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdalite.template.errors import TemplateError

NO_VALUE = "AWS::NoValue"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Deployed:
    """What a deployed resource answers to Ref and Fn::GetAtt."""

    ref: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    parameters: Mapping[str, Any]  # the template's parameters and the pseudo parameters
    resources: Mapping[str, Deployed]  # deployed so far, by logical id
    declared: Mapping[str, str]  # every resource of the template: logical id -> type
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, bool] = field(default_factory=dict)
    exports: Mapping[str, Any] = field(default_factory=dict)
    where: str | None = None  # the resource (or output) being resolved, for errors

    def fail(self, cause: str) -> TemplateError:
        return TemplateError(cause, self.where)


class _Omit:
    """Ref AWS::NoValue: the property (or list item) is removed."""


OMIT = _Omit()


def resolve(value: Any, ctx: Context) -> Any:
    if isinstance(value, list):
        items = [resolve(item, ctx) for item in value]
        return [item for item in items if item is not OMIT]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return _ref(arg, ctx)
        if key.startswith("Fn::") or key == "Condition":
            function = _FUNCTIONS.get(key)
            if function is None:
                raise ctx.fail(f"unknown intrinsic function {key}")
            return function(arg, ctx)
    out = {k: resolve(v, ctx) for k, v in value.items()}
    return {k: v for k, v in out.items() if v is not OMIT}


def _ref(name: Any, ctx: Context) -> Any:
    if not isinstance(name, str):
        raise ctx.fail(f"Ref takes a name, not {name!r}")
    if name == NO_VALUE:
        return OMIT
    if name in ctx.parameters:
        return ctx.parameters[name]
    return _resource(name, ctx, "Ref").ref


def _resource(name: str, ctx: Context, how: str) -> Deployed:
    deployed = ctx.resources.get(name)
    if deployed is not None:
        return deployed
    if name in ctx.declared:
        raise ctx.fail(f"{how} {name}: the resource is not deployed (a missing dependency?)")
    raise ctx.fail(f"{how} to {name}, which is not a resource or parameter of the template")


def _get_att(arg: Any, ctx: Context) -> Any:
    name, attribute = _get_att_parts(arg, ctx)
    deployed = _resource(name, ctx, "Fn::GetAtt")
    if attribute not in deployed.attributes:
        kind = ctx.declared.get(name, "resource")
        raise ctx.fail(f"Fn::GetAtt {name}.{attribute}: {kind} has no attribute {attribute}")
    return deployed.attributes[attribute]


def _get_att_parts(arg: Any, ctx: Context) -> tuple[str, str]:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not (isinstance(arg, list) and len(arg) == 2):
        raise ctx.fail(f"Fn::GetAtt takes [resource, attribute], not {arg!r}")
    attribute = resolve(arg[1], ctx)
    return str(arg[0]), str(attribute)


def _sub(arg: Any, ctx: Context) -> str:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
    values = {k: resolve(v, ctx) for k, v in variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in values:
            return str(values[name])
        if "." in name and name not in ctx.parameters:
            return str(_get_att(name, ctx))
        return str(_ref(name, ctx))

    return _SUB_VARIABLE.sub(replace, text)


def _join(arg: Any, ctx: Context) -> str:
    delimiter, items = arg
    resolved = resolve(items, ctx)
    return str(delimiter).join(str(item) for item in resolved)


def _select(arg: Any, ctx: Context) -> Any:
    index, items = resolve(arg[0], ctx), resolve(arg[1], ctx)
    try:
        return items[int(index)]
    except (IndexError, ValueError, TypeError):
        raise ctx.fail(f"Fn::Select index {index} is out of range of {items!r}") from None


def _split(arg: Any, ctx: Context) -> list[str]:
    delimiter, text = arg[0], resolve(arg[1], ctx)
    return str(text).split(delimiter)


def _if(arg: Any, ctx: Context) -> Any:
    name, if_true, if_false = arg
    return resolve(if_true if _condition(name, ctx) else if_false, ctx)


def _find_in_map(arg: Any, ctx: Context) -> Any:
    default = arg[3].get("DefaultValue") if len(arg) > 3 else None
    name, top, second = (resolve(part, ctx) for part in arg[:3])
    try:
        return ctx.mappings[name][top][second]
    except (KeyError, TypeError):
        if default is not None:
            return resolve(default, ctx)
        raise ctx.fail(f"Fn::FindInMap: no {name}/{top}/{second} in Mappings") from None


def _import_value(arg: Any, ctx: Context) -> Any:
    name = resolve(arg, ctx)
    if name not in ctx.exports:
        raise ctx.fail(f"Fn::ImportValue: no stack exports {name!r}")
    return ctx.exports[name]


def _condition(name: Any, ctx: Context) -> bool:
    if name not in ctx.conditions:
        raise ctx.fail(f"condition {name!r} is not declared in Conditions")
    return ctx.conditions[name]


def _equals(arg: Any, ctx: Context) -> bool:
    left, right = resolve(arg, ctx)
    return str(left) == str(right) if type(left) is not type(right) else bool(left == right)


def _get_azs(arg: Any, ctx: Context) -> list[str]:
    region = resolve(arg, ctx) or ctx.parameters["AWS::Region"]
    return [f"{region}{zone}" for zone in "abc"]


_FUNCTIONS: dict[str, Callable[[Any, Context], Any]] = {
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
    "Fn::Base64": lambda arg, ctx: base64.b64encode(str(resolve(arg, ctx)).encode()).decode(),
    "Fn::GetAZs": _get_azs,
    "Fn::Equals": _equals,
    "Fn::And": lambda arg, ctx: all(bool(resolve(item, ctx)) for item in arg),
    "Fn::Or": lambda arg, ctx: any(bool(resolve(item, ctx)) for item in arg),
    "Fn::Not": lambda arg, ctx: not bool(resolve(arg[0], ctx)),
    "Condition": _condition,
    "Fn::ToJsonString": lambda arg, ctx: json.dumps(resolve(arg, ctx), separators=(",", ":")),
    "Fn::Length": lambda arg, ctx: len(resolve(arg, ctx)),
}
FUNCTION_NAMES = frozenset(_FUNCTIONS)


def references(value: Any) -> set[str]:
    """Names a value refers to through Ref, Fn::GetAtt and Fn::Sub (parameters included;
    the graph keeps the resources)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, arg in value.items():
            found |= _references_of(key, arg)
    return found


def _references_of(key: str, arg: Any) -> set[str]:
    if key == "Ref" and isinstance(arg, str):
        return {arg}
    if key == "Fn::GetAtt":
        name = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
        return {str(name)}
    if key == "Fn::Sub":
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        found = references(variables)
        for name in _SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
            if not name.startswith("!") and name not in variables:
                found.add(name.split(".", 1)[0])
        return found
    return references(arg)

"""Parameter values (defaults, overrides, AllowedValues) and the pseudo parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdalite.template.errors import TemplateError


def pseudo(region: str, account_id: str, stack_name: str) -> dict[str, Any]:
    stack_id = f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/lambdalite"
    return {
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


def values(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Each declared parameter's value: the override, else its Default."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameter overrides name no parameter of the template: {unknown}")
    out: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError("has no Default and no --parameter-overrides value", name)
        allowed = spec.get("AllowedValues")
        if allowed is not None and str(value) not in [str(a) for a in allowed]:
            raise TemplateError(f"value {value!r} is not one of {allowed}", name)
        kind = str(spec.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            value = [item.strip() for item in value.split(",")] if isinstance(value, str) else value
        out[name] = value
    return out


def parse_overrides(items: tuple[str, ...]) -> dict[str, str]:
    """`K=V` pairs (also SAM's `ParameterKey=K,ParameterValue=V`)."""
    out: dict[str, str] = {}
    for item in items:
        for part in item.split() if "ParameterKey=" not in item else [item]:
            if part.startswith("ParameterKey="):
                key_part, _, value_part = part.partition(",ParameterValue=")
                out[key_part.removeprefix("ParameterKey=")] = value_part
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise TemplateError(f"parameter override {part!r} is not KEY=VALUE")
            out[key] = value
    return out

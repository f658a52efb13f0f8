"""Checks before anything is provisioned, so a bad template leaves nothing half-deployed:
unknown intrinsic functions and references to names the template does not have."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdalite.template.errors import TemplateError
from lambdalite.template.intrinsics import FUNCTION_NAMES, NO_VALUE, Context, references


def check_template(resources: Mapping[str, Any], ctx: Context) -> None:
    for name, resource in resources.items():
        if not isinstance(resource, dict) or "Type" not in resource:
            raise TemplateError("a resource needs a Type", name)
        properties = resource.get("Properties") or {}
        _check_functions(properties, name)
        for ref in sorted(references(properties)):
            if ref in resources or ref in ctx.parameters or ref == NO_VALUE:
                continue
            raise TemplateError(f"refers to {ref}, which is not a resource or parameter", name)


def _check_functions(value: Any, where: str) -> None:
    if isinstance(value, list):
        for item in value:
            _check_functions(item, where)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if len(value) == 1 and key.startswith("Fn::") and key not in FUNCTION_NAMES:
                raise TemplateError(f"unknown intrinsic function {key}", where)
            _check_functions(arg, where)

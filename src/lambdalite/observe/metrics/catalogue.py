"""The AWS/Lambda namespace: which dimension sets one invocation's metrics go to (brief
section 1.2), kept in one table-like function so the rule is in one place."""

from __future__ import annotations

from lambdalite.observe.metrics.registry import Dimensions

NAMESPACE = "AWS/Lambda"
COUNT, MILLISECONDS = "Count", "Milliseconds"


def function_sets(function: str, invoked_arn: str, executed_version: str) -> tuple[Dimensions, ...]:
    """unqualified or $LATEST: {} and {FunctionName}; a version adds {FunctionName,
    Resource=fn:3}; an alias adds {FunctionName, Resource=fn:prod} and the same with
    ExecutedVersion (the version the alias ran)."""
    sets: list[Dimensions] = [(), (("FunctionName", function),)]
    parts = invoked_arn.split(":")
    qualifier = parts[7] if len(parts) > 7 else ""
    if qualifier and qualifier != "$LATEST":
        resource = (("FunctionName", function), ("Resource", f"{function}:{qualifier}"))
        sets.append(resource)
        if not qualifier.isdigit():
            sets.append((("ExecutedVersion", executed_version), *resource))
    return tuple(sets)


def qualifier_of(invoked_arn: str) -> str:
    parts = invoked_arn.split(":")
    return parts[7] if len(parts) > 7 else "$LATEST"

"""The template's Conditions, evaluated once per deploy (they may name each other)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lambdalite.template.errors import TemplateError
from lambdalite.template.intrinsics import Context, resolve


def evaluate(declared: Mapping[str, Any], ctx: Context) -> dict[str, bool]:
    results: dict[str, bool] = {}
    visiting: list[str] = []

    class Lazy(dict[str, bool]):
        def __contains__(self, name: object) -> bool:
            return name in declared

        def __getitem__(self, name: str) -> bool:
            return value_of(name)

    def value_of(name: str) -> bool:
        if name in results:
            return results[name]
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise TemplateError(f"circular dependency between conditions: {cycle}", name)
        visiting.append(name)
        scoped = dataclasses.replace(ctx, conditions=Lazy(), where=f"Condition {name}")
        results[name] = bool(resolve(declared[name], scoped))
        visiting.pop()
        return results[name]

    for name in declared:
        value_of(name)
    return results

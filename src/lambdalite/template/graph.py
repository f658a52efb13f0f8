"""Which resource depends on which (Ref, Fn::GetAtt, Fn::Sub, DependsOn), in deploy order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdalite.template.errors import TemplateError
from lambdalite.template.intrinsics import references


def dependencies(resources: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each resource's direct dependencies among `resources`; a Ref to nothing at all is
    named here (parameters and pseudo parameters are checked when resolved)."""
    out: dict[str, set[str]] = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        explicit = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        for missing in sorted(explicit - set(resources)):
            raise TemplateError(
                f"DependsOn {missing}, which is not a resource of the template", name
            )
        found = references(resource.get("Properties", {})) | explicit
        out[name] = {dep for dep in found if dep in resources and dep != name}
        if name in found:
            raise TemplateError("circular dependency: the resource refers to itself", name)
    return out


def order(deps: Mapping[str, set[str]]) -> list[str]:
    """Every resource after its dependencies (template order among equals); a cycle is an
    error naming it."""
    done: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise TemplateError(f"circular dependency: {' -> '.join(cycle)}", name)
        state[name] = 1
        path.append(name)
        for dep in sorted(deps[name]):
            visit(dep)
        path.pop()
        state[name] = 2
        done.append(name)

    for name in deps:
        visit(name)
    return done

"""What a deploy does to each resource, given what the stack holds: running `up` again
applies only the changes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any

from lambdalite.template.state import ResourceState, StackState


class Action(StrEnum):
    CREATE = "Creating"
    UPDATE = "Updating"
    REPLACE = "Replacing"
    KEEP = "Unchanged"


def decide(
    kind: str,
    properties: Mapping[str, Any],
    old: ResourceState | None,
    replace_on: Collection[str] = (),
) -> Action:
    """Create what is new, keep what is the same, replace on a new type or a change of a
    property that names the resource, update the rest."""
    if old is None:
        return Action.CREATE
    if old.type != kind:
        return Action.REPLACE
    if dict(old.properties) == dict(properties):
        return Action.KEEP
    if any(old.properties.get(p) != properties.get(p) for p in replace_on):
        return Action.REPLACE
    return Action.UPDATE


def removed(old: StackState | None, keep: Collection[str]) -> list[ResourceState]:
    """The stack's resources the template no longer has, last created first."""
    if old is None:
        return []
    return [r for r in reversed(list(old.resources.values())) if r.logical_id not in keep]

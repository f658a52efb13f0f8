"""A stack's durable state, and the store seam it is kept behind.

Written once per successful deploy (one transaction), so a failed `up` leaves the previous
state, which is what `down` and the next `up` compare with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ResourceState:
    logical_id: str
    type: str
    physical_id: str
    properties: Mapping[str, Any]  # resolved, as the resource was last created or updated
    attributes: Mapping[str, Any] = field(default_factory=dict)  # for Fn::GetAtt


@dataclass(frozen=True)
class StackState:
    name: str
    template_hash: str
    parameters: Mapping[str, Any]
    resources: Mapping[str, ResourceState]  # in creation order: deletes run in reverse
    outputs: Mapping[str, Any] = field(default_factory=dict)
    exports: Mapping[str, Any] = field(default_factory=dict)  # Outputs' Export names


class StackStore(Protocol):
    async def get(self, name: str) -> StackState | None: ...

    async def put(self, state: StackState) -> None:
        """Replace the stack's state (its resources and exports) in one transaction."""
        ...

    async def delete(self, name: str) -> None: ...

    async def names(self) -> list[str]: ...

    async def exports(self) -> dict[str, tuple[str, Any]]:
        """Every stack's exports: name -> (exporting stack, value)."""
        ...

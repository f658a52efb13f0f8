"""What layers need from storage; the SQLite backend implements it in
store/sqlite/layers.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lambdalite.model.layer import LayerVersion


class LayerStore(Protocol):
    async def publish_layer_version(
        self, name: str, make: Callable[[int], LayerVersion]
    ) -> LayerVersion:
        """Store `make(n)`, n being the layer's next version number: numbers are never
        reused, even after every version was deleted."""
        ...

    async def get_layer_version(self, name: str, version: int) -> LayerVersion | None: ...
    async def list_layer_versions(self, name: str) -> list[LayerVersion]:
        """Newest first."""
        ...

    async def list_layer_names(self) -> list[str]:
        """Layers that have at least one version, by name."""
        ...

    async def delete_layer_version(self, name: str, version: int) -> bool: ...

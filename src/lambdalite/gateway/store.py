"""What the gateway needs from storage: declared APIs and function URL configurations.

The interface only; ``store/sqlite/gateway.py`` implements it, and the composition root
hands the gateway one. Values cross it as JSON-ready dicts (the store knows rows, the
gateway knows the shapes: gateway/wire.py and gateway/urls.py convert)."""

from __future__ import annotations

from typing import Any, Protocol

Doc = dict[str, Any]


class GatewayStore(Protocol):
    # APIs: definition documents by api id, in declaration order ------------------------

    async def put_api(self, api_id: str, definition: Doc) -> None:
        """Insert, or replace in place (keeping its position) an API with the same id."""
        ...

    async def delete_api(self, api_id: str) -> bool: ...

    async def list_apis(self) -> list[Doc]: ...

    # function URLs: one per (function, qualifier); url ids are unique ---------------------

    async def create_url(
        self, function_name: str, qualifier: str, url_id: str, config: Doc
    ) -> bool:
        """False (and nothing stored) when the function and qualifier already have one."""
        ...

    async def update_url(self, function_name: str, qualifier: str, config: Doc) -> None: ...

    async def delete_url(self, function_name: str, qualifier: str) -> bool: ...

    async def delete_urls(self, function_name: str) -> None:
        """Every URL of a function (it was deleted)."""
        ...

    async def get_url(self, function_name: str, qualifier: str) -> Doc | None: ...

    async def list_urls(self, function_name: str) -> list[Doc]: ...

    async def url_by_id(self, url_id: str) -> Doc | None: ...

    async def all_urls(self) -> list[Doc]: ...

"""The ApiRegistry the gateway serves from: declared APIs, durable in the store, kept in
memory with their compiled route tables (read on every request, written rarely)."""

from __future__ import annotations

from lambdalite.config import Settings
from lambdalite.gateway.model import ApiDefinition
from lambdalite.gateway.routes import RouteTable
from lambdalite.gateway.store import GatewayStore
from lambdalite.gateway.wire import api_from_json, api_to_json


def local_base(settings: Settings) -> str:
    """The gateway's base URL as a local client reaches it (0.0.0.0 is not an address)."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.gateway_port}"


def path_prefix(api_id: str, stage: str) -> str:
    """The path form of an API's URL, which works whatever the Host header."""
    return f"/restapis/{api_id}/{stage}/_user_request_"


class GatewayRegistry:
    def __init__(self, settings: Settings, store: GatewayStore) -> None:
        self._settings = settings
        self._store = store
        self._apis: dict[str, ApiDefinition] = {}
        self._tables: dict[str, RouteTable] = {}

    async def load(self) -> None:
        for doc in await self._store.list_apis():
            self._remember(api_from_json(doc))

    def _remember(self, api: ApiDefinition) -> None:
        self._apis[api.api_id] = api
        self._tables[api.api_id] = RouteTable(api.routes)

    async def put(self, api: ApiDefinition) -> None:
        await self._store.put_api(api.api_id, api_to_json(api))
        self._remember(api)

    async def delete(self, api_id: str) -> None:
        await self._store.delete_api(api_id)
        self._apis.pop(api_id, None)
        self._tables.pop(api_id, None)

    async def get(self, api_id: str) -> ApiDefinition | None:
        return self._apis.get(api_id)

    async def list(self) -> list[ApiDefinition]:
        return list(self._apis.values())

    def url(self, api: ApiDefinition) -> str:
        return local_base(self._settings) + path_prefix(api.api_id, api.stage)

    # What the server reads per request, without awaiting -------------------------------

    def lookup(self, api_id: str) -> tuple[ApiDefinition, RouteTable] | None:
        api = self._apis.get(api_id)
        return None if api is None else (api, self._tables[api_id])

    def only(self) -> tuple[ApiDefinition, RouteTable] | None:
        """The one API when exactly one is declared: its routes answer at the root too."""
        if len(self._apis) != 1:
            return None
        api_id = next(iter(self._apis))
        return self._apis[api_id], self._tables[api_id]

"""The pollers: one per enabled mapping, started and stopped as mappings change.

A `Poller` owns the due loops that read its source (one per shard for streams), filter,
invoke the function synchronously with batches and settle the result the source's way. The
`PollerManager` keeps exactly one poller running for every mapping in state Enabled, built
by the factory registered for the mapping's source kind; a mapping's change of
configuration (a new revision) restarts its poller, a disable or delete stops it. It syncs
at start and whenever the mapping service lands a state, so a disabled mapping never
invokes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from lambdalite.duework import DueLoop
from lambdalite.esm.model import EventSourceMapping, MappingState, SourceKind
from lambdalite.esm.store import EventSourceMappingStore

log = logging.getLogger(__name__)


class Poller(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def due_loops(self) -> Sequence[DueLoop]:
        """The poller's loops, drained by Platform.drain."""
        ...


class PollerFactory(Protocol):
    def __call__(self, mapping: EventSourceMapping) -> Poller: ...


class PollerManager:
    def __init__(self, store: EventSourceMappingStore) -> None:
        self._store = store
        self._factories: dict[SourceKind, PollerFactory] = {}
        self._running: dict[str, tuple[int, Poller]] = {}  # uuid -> (revision, poller)
        self._started = False
        self._syncing = asyncio.Lock()  # two overlapping syncs would start a poller twice

    def register(self, kind: SourceKind, factory: PollerFactory) -> None:
        self._factories[kind] = factory

    def due_loops(self) -> Sequence[DueLoop]:
        return [loop for _, poller in self._running.values() for loop in poller.due_loops()]

    async def start(self) -> None:
        self._started = True
        await self.sync()

    async def stop(self) -> None:
        self._started = False
        for uuid in list(self._running):
            await self._stop(uuid)

    async def sync(self) -> None:
        """Make the running pollers match the enabled mappings of the store."""
        async with self._syncing:
            await self._sync()

    async def _sync(self) -> None:
        if not self._started:
            return
        wanted = {m.uuid: m for m in await self._enabled()}
        for uuid, (revision, _) in list(self._running.items()):
            mapping = wanted.get(uuid)
            if mapping is None or mapping.revision != revision:
                await self._stop(uuid)
        for uuid, mapping in wanted.items():
            if uuid in self._running:
                continue
            factory = self._factories.get(mapping.source_kind)
            if factory is None:
                continue  # a source kind with no poller yet: the mapping simply waits
            poller = factory(mapping)
            await poller.start()
            self._running[uuid] = (mapping.revision, poller)

    async def _stop(self, uuid: str) -> None:
        _, poller = self._running.pop(uuid)
        try:
            await poller.stop()
        except Exception:  # one poller's failure to stop must not keep the others running
            log.exception("poller of mapping %s did not stop cleanly", uuid)

    async def _enabled(self) -> list[EventSourceMapping]:
        found: list[EventSourceMapping] = []
        marker: str | None = None
        while True:
            page = await self._store.list_mappings(
                source_arn=None, function_name=None, function_arn=None, marker=marker, limit=500
            )
            found += [m for m in page.items if m.state is MappingState.ENABLED]
            if page.next_marker is None:
                return found
            marker = page.next_marker

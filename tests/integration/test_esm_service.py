"""The mapping service over a real SQLite file: a mapping a crash left in flight lands when
the service starts, and a change waits for the landing of the one before it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lambdalite.clock import VirtualClock
from lambdalite.config import Settings
from lambdalite.errors import ResourceInUseException
from lambdalite.esm.model import MappingState
from lambdalite.esm.service import EventSourceMappingService
from lambdalite.model.function import Alias, FunctionConfig, FunctionRecord
from lambdalite.services.directory import ServiceDirectory
from lambdalite.store.sqlite.backend import SqliteBackend

QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"


class _Queue:
    fifo = False


class _Queues:
    def queue_from_arn(self, arn: str) -> _Queue | None:
        return _Queue() if arn == QUEUE else None


class _Functions:
    async def get_function(self, name: str) -> FunctionRecord | None:
        return FunctionRecord(name=name) if name == "f" else None

    async def get_version(self, name: str, version: str) -> FunctionConfig | None:
        return None

    async def get_alias(self, function_name: str, name: str) -> Alias | None:
        return None


def _service(backend: SqliteBackend) -> EventSourceMappingService:
    return EventSourceMappingService(
        Settings(),
        VirtualClock(start=1_000.0),
        backend.event_source_mappings,
        _Functions(),
        ServiceDirectory(queues=_Queues()),
    )


def test_a_mapping_left_in_flight_by_a_crash_lands_at_start(tmp_path: Path) -> None:
    async def main() -> None:
        backend = SqliteBackend(tmp_path / "lambdalite.sqlite3")
        await backend.open()
        try:
            service = _service(backend)
            created = await service.create({"FunctionName": "f", "EventSourceArn": QUEUE})
            assert created.state is MappingState.CREATING
            # The process dies before the landing runs: put the row back as answered.
            await service.wait_settled()
            stored = await backend.event_source_mappings.get_mapping(created.uuid)
            assert stored is not None and stored.state is MappingState.ENABLED
            assert await backend.event_source_mappings.replace_mapping(
                created.replace(revision=stored.revision + 1), stored.revision
            )
            restarted = _service(backend)
            await restarted.start()
            await restarted.wait_settled()
            again = await restarted.get(created.uuid)
            assert again.state is MappingState.ENABLED
        finally:
            await backend.close()

    asyncio.run(main())


def test_a_change_waits_for_the_previous_landing(tmp_path: Path) -> None:
    async def main() -> None:
        backend = SqliteBackend(tmp_path / "lambdalite.sqlite3")
        await backend.open()
        try:
            service = _service(backend)
            created = await service.create({"FunctionName": "f", "EventSourceArn": QUEUE})
            # No loop turn between: the landing has not run, and the update still finds the
            # mapping settled instead of answering "in use".
            updated = await service.update(created.uuid, {"BatchSize": 3})
            assert updated.state is MappingState.UPDATING
            deleting = await service.delete(created.uuid)
            assert deleting.state is MappingState.DELETING
            await service.wait_settled()
            assert await backend.event_source_mappings.get_mapping(created.uuid) is None
        finally:
            await backend.close()

    asyncio.run(main())


def test_a_mapping_in_flight_elsewhere_is_in_use(tmp_path: Path) -> None:
    async def main() -> None:
        backend = SqliteBackend(tmp_path / "lambdalite.sqlite3")
        await backend.open()
        try:
            service = _service(backend)
            created = await service.create({"FunctionName": "f", "EventSourceArn": QUEUE})
            await service.wait_settled()
            # Another node (or a crash) left it Updating, with no landing of ours pending.
            stored = await service.get(created.uuid)
            busy = stored.replace(state=MappingState.UPDATING, revision=stored.revision + 1)
            assert await backend.event_source_mappings.replace_mapping(busy, stored.revision)
            with pytest.raises(ResourceInUseException, match="Cannot update the event source"):
                await service.update(created.uuid, {"BatchSize": 3})
        finally:
            await backend.close()

    asyncio.run(main())

"""Create, read, change and delete event source mappings, and move them through their states.

Like functions, a change answers its transitional state (Creating, Enabling, Disabling,
Updating, Deleting) and lands the steady one right after the answer, so clients written
against AWS, which poll for it, behave the same; the work itself is done before the answer.
A change to a mapping first lets any landing of that mapping finish, so a delete or update
right after a create finds it settled instead of "in use".
"""

from __future__ import annotations

import asyncio
import uuid as uuids
from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.errors import (
    AwsError,
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from lambdalite.esm import rules
from lambdalite.esm.model import EventSourceMapping, MappingState, SourceKind
from lambdalite.esm.pollers import PollerManager
from lambdalite.esm.store import DuplicateMapping, EventSourceMappingStore, MappingPage
from lambdalite.invoke.resolve import FunctionReader, split_function_name
from lambdalite.model.arn import function_arn
from lambdalite.model.function import LATEST
from lambdalite.services.directory import ServiceDirectory
from lambdalite.settling import until_done

PAGE_LIMIT = 100  # ListEventSourceMappings returns at most 100 per page (spec 4.2)
NOT_FOUND = "The resource you requested does not exist."
FUNCTION_MISSING = "Function does not exist"
QUEUE_MISSING = (
    "Error occurred while ReceiveMessage. SQS Error Code: "
    "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
    "not exist."
)
UPDATE_IN_USE = "Cannot update the event source mapping because it is in use."
DELETE_IN_USE = "Cannot delete the event source mapping because it is in use."
CONCURRENT_UPDATE = (
    "The operation cannot be performed at this time. The event source mapping is currently "
    "being updated."
)


def duplicate_message(kind: SourceKind, source_arn: str, function: str, existing: str) -> str:
    """AWS words the conflict differently for queues and streams (spec 4.2.4)."""
    pair = f'(" {source_arn} ") and function (" {function} ")'
    if kind is SourceKind.SQS:
        head = f"An event source mapping with SQS arn {pair} already exists."
    else:
        head = f"The event source arn {pair} provided mapping already exists."
    return f"{head} Please update or delete the existing mapping with UUID {existing}"


class EventSourceMappingService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: EventSourceMappingStore,
        functions: FunctionReader,
        directory: ServiceDirectory,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._store = store
        self._functions = functions
        self._directory = directory
        self._landing: dict[str, asyncio.Task[None]] = {}
        # One poller per enabled mapping; source kinds register their poller factory here.
        self.pollers = PollerManager(store)

    # component ---------------------------------------------------------------------------

    def due_loops(self) -> Sequence[DueLoop]:
        return self.pollers.due_loops()

    async def start(self) -> None:
        """A crash between an answer and its landing leaves a mapping in flight: land it."""
        marker: str | None = None
        while True:
            page = await self._store.list_mappings(
                source_arn=None, function_name=None, function_arn=None, marker=marker, limit=500
            )
            for mapping in page.items:
                if not mapping.state.steady:
                    self._land_later(mapping)
            if page.next_marker is None:
                break
            marker = page.next_marker
        await self.pollers.start()

    async def stop(self) -> None:
        await self.wait_settled()
        await self.pollers.stop()

    async def wait_settled(self) -> None:
        await until_done(self._landing.values)

    # API ---------------------------------------------------------------------------------

    async def create(self, params: Mapping[str, Any]) -> EventSourceMapping:
        extensions = self._settings.extensions
        rules.check_on_success(params, extensions)
        source_arn = params.get("EventSourceArn") or ""
        kind = rules.source_kind(source_arn)
        now = self._clock.now()
        config = rules.build_config(
            params, kind, source_arn, current=None, extensions=extensions, now=now
        )
        name, arn = await self._function(params["FunctionName"])
        await self._check_source(kind, source_arn)
        # A disabled SQS mapping is answered Disabled at once (recorded); others pass Creating.
        disabled_sqs = kind is SourceKind.SQS and not config.enabled
        mapping = EventSourceMapping(
            uuid=str(uuids.uuid4()),
            function_name=name,
            function_arn=arn,
            event_source_arn=source_arn,
            source_kind=kind,
            config=config,
            state=MappingState.DISABLED if disabled_sqs else MappingState.CREATING,
            state_transition_reason=kind.transition_reason,
            last_modified=now,
        )
        try:
            await self._store.create_mapping(mapping)
        except DuplicateMapping as dup:
            raise ResourceConflictException(
                duplicate_message(kind, source_arn, name, dup.uuid)
            ) from None
        if not mapping.state.steady:
            self._land_later(mapping)
        return mapping

    async def get(self, uuid: str) -> EventSourceMapping:
        mapping = await self._store.get_mapping(uuid)
        if mapping is None:
            raise ResourceNotFoundException(NOT_FOUND)
        return mapping

    async def list(
        self,
        source_arn: str | None,
        function_name: str | None,
        marker: str | None,
        max_items: int | None,
    ) -> MappingPage:
        name = arn = None
        if function_name is not None:
            s = self._settings
            fid = split_function_name(function_name, None, s.region, s.account_id)
            if fid.qualifier is None:
                name = fid.name  # every mapping of the function, whatever its qualifier
            else:
                arn = function_arn(s.region, s.account_id, fid.name, fid.qualifier)
        if marker is not None and not marker.isdigit():  # unconfirmed wording
            raise InvalidParameterValueException(f"Invalid marker: {marker}")
        return await self._store.list_mappings(
            source_arn=source_arn,
            function_name=name,
            function_arn=arn,
            marker=marker,
            limit=min(max_items or PAGE_LIMIT, PAGE_LIMIT),
        )

    async def update(self, uuid: str, params: Mapping[str, Any]) -> EventSourceMapping:
        await self._settled(uuid)
        current = await self.get(uuid)
        if not current.state.steady:
            raise ResourceInUseException(UPDATE_IN_USE)
        kind, source_arn = current.source_kind, current.event_source_arn
        now = self._clock.now()
        config = rules.build_config(
            params,
            kind,
            source_arn,
            current=current.config,
            extensions=self._settings.extensions,
            now=now,
        )
        name, arn = current.function_name, current.function_arn
        if "FunctionName" in params:
            name, arn = await self._function(params["FunctionName"])
        state = MappingState.UPDATING
        if config.enabled != current.config.enabled:
            state = MappingState.ENABLING if config.enabled else MappingState.DISABLING
        updated = current.replace(
            function_name=name,
            function_arn=arn,
            config=config,
            state=state,
            state_transition_reason=kind.transition_reason,
            last_modified=now,
            revision=current.revision + 1,
        )
        try:
            stored = await self._store.replace_mapping(updated, current.revision)
        except DuplicateMapping as dup:
            raise ResourceConflictException(
                duplicate_message(kind, source_arn, name, dup.uuid)
            ) from None
        if not stored:
            raise ResourceInUseException(CONCURRENT_UPDATE)
        await self.pollers.sync()  # stopped while Updating/Disabling: a disabled one never runs
        self._land_later(updated)
        return updated

    async def delete(self, uuid: str) -> EventSourceMapping:
        await self._settled(uuid)
        current = await self.get(uuid)
        if current.state is MappingState.DELETING:
            raise ResourceInUseException(DELETE_IN_USE)
        deleting = current.replace(
            state=MappingState.DELETING,
            state_transition_reason=current.source_kind.transition_reason,
            revision=current.revision + 1,
        )
        if not await self._store.replace_mapping(deleting, current.revision):
            raise ResourceInUseException(DELETE_IN_USE)
        await self.pollers.sync()
        self._land_later(deleting)
        return deleting

    # checks ------------------------------------------------------------------------------

    async def _function(self, raw: str) -> tuple[str, str]:
        """The function's name and the ARN the mapping records (qualified when given)."""
        s = self._settings
        fid = split_function_name(raw, None, s.region, s.account_id)
        exists = await self._functions.get_function(fid.name) is not None
        qualifier = fid.qualifier
        if exists and qualifier is not None and qualifier != LATEST:
            found: object = (
                await self._functions.get_version(fid.name, qualifier)
                if qualifier.isdigit()
                else await self._functions.get_alias(fid.name, qualifier)
            )
            exists = found is not None
        if not exists:
            raise InvalidParameterValueException(FUNCTION_MISSING)
        return fid.name, function_arn(s.region, s.account_id, fid.name, qualifier)

    async def _check_source(self, kind: SourceKind, source_arn: str) -> None:
        if kind is SourceKind.SQS:
            queues = self._directory.queues
            if queues is None or queues.queue_from_arn(source_arn) is None:
                raise InvalidParameterValueException(QUEUE_MISSING)
            return
        reader = self._directory.streams.get(kind.value)
        try:
            if reader is None:
                raise LookupError(kind.value)
            await reader.shards(source_arn)
        except (LookupError, AwsError):
            raise InvalidParameterValueException(f"Stream not found: {source_arn}") from None

    # states ------------------------------------------------------------------------------

    async def _settled(self, uuid: str) -> None:
        task = self._landing.get(uuid)
        if task is not None:
            await task

    def _land_later(self, mapping: EventSourceMapping) -> None:
        uuid = mapping.uuid
        task = asyncio.get_running_loop().create_task(self._land(uuid, mapping.revision))
        self._landing[uuid] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._landing.get(uuid) is done:
                del self._landing[uuid]

        task.add_done_callback(forget)

    async def _land(self, uuid: str, revision: int) -> None:
        """Transitional state -> steady one; Deleting -> gone. Skipped if changed meanwhile."""
        current = await self._store.get_mapping(uuid)
        if current is None or current.revision != revision:
            return
        if current.state is MappingState.DELETING:
            await self._store.delete_mapping(uuid)
        else:
            settled = current.replace(state=current.settled_state(), revision=revision + 1)
            await self._store.replace_mapping(settled, revision)
        await self.pollers.sync()

"""Create, change, publish and delete functions; every rule AWS applies on the way."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from lambdalite.config import Settings
from lambdalite.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambdalite.functions import rules, snapstart
from lambdalite.functions.snapstart import Snapshotter
from lambdalite.functions.store import FunctionStore, Page
from lambdalite.model.arn import function_arn
from lambdalite.model.function import (
    LATEST,
    Code,
    FunctionConfig,
    FunctionRecord,
    LastUpdateStatus,
    LayerRef,
    State,
)
from lambdalite.sandbox.interpreters import fallback_warning
from lambdalite.settling import until_done

log = logging.getLogger(__name__)

CONFIG_FIELDS = (
    "handler",
    "runtime",
    "role",
    "description",
    "timeout",
    "memory_size",
    "ephemeral_storage",
    "environment",
    "dead_letter_target_arn",
    "tracing_mode",
    "log_format",
    "log_group",
    "application_log_level",
    "system_log_level",
    "layers",
    "snap_start",
)


class CodeBuilder(Protocol):
    async def __call__(self, name: str, code: Code, runtime: str) -> Code:
        """`code` (local) with its requirements built; raises InvalidParameterValueException
        naming the function and the cause when they cannot be."""
        ...


class LayerResolver(Protocol):
    async def resolve(self, arns: Sequence[str]) -> tuple[LayerRef, ...]: ...


def timestamp() -> str:
    """LastModified as Lambda writes it: 2025-11-24T23:18:51.123+0000."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


class FunctionService:
    def __init__(
        self,
        settings: Settings,
        store: FunctionStore,
        on_change: Callable[[str], object],
        *,
        builder: CodeBuilder | None = None,
        layers: LayerResolver | None = None,
        snapshots: Snapshotter | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._on_change = on_change  # retires environments of a changed function
        self._builder = builder  # installs local code's requirements.txt
        self._layers = layers
        self._snapshots = snapshots  # SnapStart (functions/snapstart.py); None: not applied
        self._background: set[asyncio.Task[None]] = set()
        # Told of each deleted function (qualifier None) or version, after the deletion:
        # what hangs off them elsewhere (provisioned concurrency configs) goes too.
        self.on_delete: list[Callable[[str, str | None], Awaitable[None]]] = []

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self._settings.region, self._settings.account_id, name, qualifier)

    def runtime_warning(self, runtime: str) -> str | None:
        return fallback_warning(runtime)

    # create / read -------------------------------------------------------------------------

    async def create(self, name: str, code: Code, **config: Any) -> FunctionConfig:
        rules.check_runtime(config["runtime"])
        config["handler"] = rules.check_handler(config.get("handler"), config["runtime"])
        rules.check_limits(config.get("timeout", 3), config.get("memory_size", 128))
        rules.check_environment(config.get("environment", {}))
        rules.check_snap_start(config.get("snap_start", "None"), config["runtime"])
        config.update(rules.logging_levels(config.get("log_format", "Text"), config))
        warning = self.runtime_warning(config["runtime"])
        if warning:
            log.warning("function %s: %s", name, warning)
        if config.get("layers"):
            config["layer_refs"] = await self._resolve_layers(config["layers"])
        code = await self._build(name, code, config["runtime"])
        latest = FunctionConfig(
            name=name,
            version=LATEST,
            code=code,
            last_modified=timestamp(),
            revision_id=new_revision(),
            state=State.PENDING,
            state_reason="The function is being created.",
            state_reason_code="Creating",
            **config,
        )
        if not await self._store.create_function(FunctionRecord(name=name), latest):
            raise ResourceConflictException(f"Function already exist: {name}")
        self._on_change(name)  # a new function's code may need watching (functions/reload.py)
        self._settle(name, latest.revision_id)
        return latest

    async def _build(self, name: str, code: Code, runtime: str) -> Code:
        if not code.local or self._builder is None:
            return code
        return await self._builder(name, code, runtime)

    async def _resolve_layers(self, arns: Sequence[str]) -> tuple[LayerRef, ...]:
        if not arns:
            return ()
        if self._layers is None:
            raise InvalidParameterValueException(f"Layer version {arns[0]} does not exist.")
        return await self._layers.resolve(arns)

    async def refresh_local_code(self, name: str, code: Code) -> FunctionConfig | None:
        """Hot reload: $LATEST's local directory now holds `code` (functions/reload.py).
        New invocations start environments on it; busy ones finish on what they run."""
        current = await self.latest(name)
        if not current.code.local or current.code.directory != code.directory:
            return None
        if current.code.sha256 == code.sha256:
            return None
        return await self._update(name, None, code=code)

    async def latest(self, name: str) -> FunctionConfig:
        return await self.version(name, LATEST)

    async def version(self, name: str, version: str) -> FunctionConfig:
        config = await self._store.get_version(name, version)
        if config is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, version)}")
        return config

    async def record(self, name: str) -> FunctionRecord:
        record = await self._store.get_function(name)
        if record is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, LATEST)}")
        return record

    async def list_latest(self, marker: str | None, limit: int) -> Page[FunctionConfig]:
        return await self._store.list_latest(marker, limit)

    async def list_versions(
        self, name: str, marker: str | None, limit: int
    ) -> Page[FunctionConfig]:
        await self.record(name)
        return await self._store.list_versions(name, marker, limit)

    # update ------------------------------------------------------------------------------

    async def update_code(
        self, name: str, code: Code, revision_id: str | None, publish: bool
    ) -> FunctionConfig:
        updated = await self._update(name, revision_id, code=code)
        if publish:
            return await self.publish(name, None, None, "")
        return updated

    async def update_configuration(
        self, name: str, revision_id: str | None, **changes: Any
    ) -> FunctionConfig:
        if "runtime" in changes:
            rules.check_runtime(changes["runtime"])
            warning = self.runtime_warning(changes["runtime"])
            if warning:
                log.warning("function %s: %s", name, warning)
        if "environment" in changes:
            rules.check_environment(changes["environment"])
        if "layers" in changes:
            changes["layer_refs"] = await self._resolve_layers(changes["layers"])
        return await self._update(name, revision_id, **changes)

    async def _update(self, name: str, revision_id: str | None, **changes: Any) -> FunctionConfig:
        current = await self.latest(name)
        if revision_id is not None and revision_id != current.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )
        if current.last_update_status is LastUpdateStatus.IN_PROGRESS:
            raise ResourceConflictException(
                "The operation cannot be performed at this time. An update is in progress "
                f"for resource: {self.arn(name)}"
            )
        merged = current.replace(**changes)
        rules.check_limits(merged.timeout, merged.memory_size)
        if changes.keys() & {"snap_start", "runtime"}:
            rules.check_snap_start(merged.snap_start, merged.runtime)
        if "code" in changes or "runtime" in changes:  # requirements or Python may differ
            merged = merged.replace(code=await self._build(name, merged.code, merged.runtime))
        if changes.keys() & rules.LOGGING_KEYS:
            # JSON keeps the levels it had unless given; Text refuses only levels asked for.
            kept = {
                "application_log_level": merged.application_log_level,
                "system_log_level": merged.system_log_level,
            }
            given = kept if merged.log_format == "JSON" else changes
            merged = merged.replace(**rules.logging_levels(merged.log_format, given))
        updated = merged.replace(
            last_modified=timestamp(),
            revision_id=new_revision(),
            last_update_status=LastUpdateStatus.IN_PROGRESS,
            last_update_status_reason="The function is being created.",
            last_update_status_reason_code="Creating",
        )
        if not await self._store.replace_latest(updated, current.revision_id):
            raise ResourceConflictException(
                "The operation cannot be performed at this time. An update is in progress "
                f"for resource: {self.arn(name)}"
            )
        self._on_change(name)
        self._settle(name, updated.revision_id)
        return updated

    def _settle(self, name: str, revision_id: str) -> None:
        """Finish a create or update after the response: Pending/InProgress -> Active/Successful.

        The work is already done (code extracted, configuration validated); the states exist
        so that clients written against AWS, which wait for them, behave the same here.
        """
        task = asyncio.get_running_loop().create_task(self._finish(name, revision_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _finish(self, name: str, revision_id: str) -> None:
        current = await self._store.get_version(name, LATEST)
        if current is None or current.revision_id != revision_id:
            return
        settled = current.replace(
            state=State.ACTIVE,
            state_reason=None,
            state_reason_code=None,
            last_update_status=LastUpdateStatus.SUCCESSFUL,
            last_update_status_reason=None,
            last_update_status_reason_code=None,
        )
        await self._store.replace_latest(settled, revision_id)

    async def wait_settled(self) -> None:
        """For tests and shutdown: let pending state transitions land."""
        await until_done(lambda: self._background)

    # publish / delete --------------------------------------------------------------------

    async def publish(
        self, name: str, code_sha256: str | None, revision_id: str | None, description: str
    ) -> FunctionConfig:
        latest = await self.latest(name)
        if code_sha256 is not None and code_sha256 != latest.code.sha256:
            raise InvalidParameterValueException(
                f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code.sha256}). Please try again with the CodeSHA256 in $LATEST."
            )
        if revision_id is not None and revision_id != latest.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )

        def make(
            latest: FunctionConfig, previous: FunctionConfig | None, number: int
        ) -> FunctionConfig | None:
            if previous is not None and latest.same_publishable_content(previous):
                return None
            return latest.replace(
                version=str(number),
                revision_id=new_revision(),
                last_modified=timestamp(),
                description=description or latest.description,
                state=State.ACTIVE,
                last_update_status=LastUpdateStatus.SUCCESSFUL,
                state_reason=None,
                state_reason_code=None,
            )

        snapshots = self._snapshots

        def make_pending(
            latest: FunctionConfig, previous: FunctionConfig | None, number: int
        ) -> FunctionConfig | None:
            made = make(latest, previous, number)  # SnapStart: Pending until snapshotted
            return None if made is None else snapstart.pending(made)

        optimised = snapshots is not None and latest.snap_start == "PublishedVersions"
        published = await self._store.publish_version(name, make_pending if optimised else make)
        if published is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, LATEST)}")
        if snapshots is not None and published.snap_started and published.state is State.PENDING:
            self._background_task(snapstart.optimise(self._store, snapshots, published))
        return published

    def _background_task(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def delete(self, name: str, qualifier: str | None) -> None:
        if qualifier is None:
            if not await self._store.delete_function(name):
                raise ResourceNotFoundException(f"Function not found: {self.arn(name)}")
            self._on_change(name)
            if self._snapshots is not None:
                await self._snapshots.drop(name, None)
            await self._deleted(name, None)
            return
        if qualifier == LATEST:
            raise InvalidParameterValueException(
                "$LATEST version cannot be deleted without deleting the function."
            )
        aliases = await self._store.list_aliases(name, qualifier, None, 1000)
        if aliases.items:
            names = ", ".join(a.name for a in aliases.items)
            raise ResourceConflictException(
                f"Unable to delete version because the following aliases reference it: [{names}]"
            )
        if not await self._store.delete_version(name, qualifier):
            await self.record(name)
        self._on_change(name)
        if self._snapshots is not None:
            await self._snapshots.drop(name, qualifier)
        await self._deleted(name, qualifier)

    async def _deleted(self, name: str, qualifier: str | None) -> None:
        for listener in self.on_delete:
            await listener(name, qualifier)

    async def account_usage(self) -> tuple[int, int]:
        """(total code size, function count) over every function and version."""
        total, count, marker = 0, 0, None
        while True:
            page = await self._store.list_latest(marker, 500)
            for config in page.items:
                count += 1
                versions = await self._store.list_versions(config.name, None, 10_000)
                total += sum(v.code.size for v in versions.items)
            if page.next_marker is None:
                return total, count
            marker = page.next_marker

    def code_root(self) -> Path:
        return self._settings.code_dir

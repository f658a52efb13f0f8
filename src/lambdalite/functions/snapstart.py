"""SnapStart at publish time: a published version of a function with `SnapStart.ApplyOn:
PublishedVersions` is initialised once, and its snapshot serves every new environment.

The version is created Pending (invoking it is SnapStartNotReadyException), then becomes
Active once the snapshot is made, or Failed, with the reason, when the function's init or a
before-snapshot hook failed (spec 8.9, 2.4.1). How a snapshot is made is the sandbox's
business, behind the Snapshotter interface (wired in platform.py).
"""

from __future__ import annotations

import logging
from typing import Protocol

from lambdalite.functions.store import FunctionStore
from lambdalite.model.function import FunctionConfig, LastUpdateStatus, State

log = logging.getLogger(__name__)


class SnapshotFailed(Exception):
    def __init__(self, reason_code: str, reason: str) -> None:
        super().__init__(reason)
        self.reason_code = reason_code  # a StateReasonCode of the model: FunctionError, ...
        self.reason = reason


class Snapshotter(Protocol):
    async def snapshot(self, config: FunctionConfig) -> None:
        """Make the snapshot of a published version; raises SnapshotFailed."""
        ...

    async def drop(self, name: str, version: str | None) -> None:
        """Stop the snapshots of a deleted version (of every version when None)."""
        ...


def pending(config: FunctionConfig) -> FunctionConfig:
    return config.replace(
        state=State.PENDING,
        state_reason="The function is being optimized.",
        state_reason_code="Creating",
        last_update_status=LastUpdateStatus.SUCCESSFUL,
    )


async def optimise(store: FunctionStore, snapshots: Snapshotter, config: FunctionConfig) -> None:
    """Snapshot a Pending version, then store it Active or Failed (unless deleted meanwhile)."""
    try:
        await snapshots.snapshot(config)
    except SnapshotFailed as e:
        log.warning("function %s:%s: SnapStart failed: %s", config.name, config.version, e)
        done = config.replace(
            state=State.FAILED, state_reason=e.reason, state_reason_code=e.reason_code
        )
    else:
        done = config.replace(state=State.ACTIVE, state_reason=None, state_reason_code=None)
    await store.replace_version(done)

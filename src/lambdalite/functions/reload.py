"""Hot reload: functions run from local directories pick up edits within a second.

Polls, while there are such functions, the names, sizes and mtimes of their files (what
`local_directory` hashes into the code's SHA-256) every POLL_S: a changed hash is a code
update, which retires the function's environments (busy ones finish their invocation on
the old code first) and starts new ones on the new. A poll is cheap for a code directory:
one stat per file, on a thread. Edits are real-world events, so this runs on wall time, not
the platform clock; drain() runs a pass at once, so tests need not wait for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from lambdalite.duework import DueLoop
from lambdalite.errors import (
    AwsError,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from lambdalite.functions.package import local_directory
from lambdalite.functions.service import FunctionService

log = logging.getLogger(__name__)

POLL_S = 0.25


class LocalCodeWatcher:
    def __init__(self, functions: FunctionService, poll_s: float = POLL_S) -> None:
        self._functions = functions
        self._poll_s = poll_s
        self._watched: dict[str, str] = {}  # function name -> its local code directory
        # A code hash whose update failed (requirements pip cannot satisfy): not retried
        # every pass, only once the directory changes again.
        self._failed: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one pass at a time (the poller's and drain's)

    async def start(self) -> None:
        marker = None
        while True:
            page = await self._functions.list_latest(marker, 500)
            for config in page.items:
                if config.code.local:
                    self._watched[config.name] = config.code.directory
            if page.next_marker is None:
                break
            marker = page.next_marker
        self._ensure_polling()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def due_loops(self) -> Sequence[DueLoop]:
        return ()

    def changed(self, name: str) -> None:
        """A function was created, updated or deleted: (re)consider watching it."""
        task = asyncio.get_running_loop().create_task(self._recheck(name))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def scan(self) -> int:
        """One pass now; returns how many functions were reloaded."""
        async with self._lock:
            reloaded = 0
            for name, directory in list(self._watched.items()):
                try:
                    code = await asyncio.to_thread(local_directory, directory)
                except AwsError:  # the directory is gone: invocations will say so
                    continue
                if self._failed.get(name) == code.sha256:
                    continue
                try:
                    if await self._functions.refresh_local_code(name, code) is not None:
                        reloaded += 1
                        log.info("function %s: code changed in %s, reloaded", name, directory)
                except InvalidParameterValueException as exc:  # its build failed
                    self._failed[name] = code.sha256
                    log.warning("function %s: not reloaded: %s", name, exc)
                except AwsError as exc:  # deleted meanwhile, or an update in progress
                    log.debug("function %s: reload postponed: %s", name, exc)
            return reloaded

    async def _recheck(self, name: str) -> None:
        try:
            config = await self._functions.latest(name)
        except ResourceNotFoundException:
            config = None
        if config is not None and config.code.local:
            self._watched[name] = config.code.directory
            self._ensure_polling()
        else:
            self._watched.pop(name, None)
            self._failed.pop(name, None)

    def _ensure_polling(self) -> None:
        if self._watched and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        try:
            while self._watched:
                await asyncio.sleep(self._poll_s)
                try:
                    await self.scan()
                except Exception:  # a bad pass must not end hot reload
                    log.exception("hot reload pass failed")
        finally:
            self._task = None

"""Moves WAL checkpoints off the event loop.

In WAL mode SQLite copies committed pages back into the database file (a checkpoint) from
whichever connection commits past `wal_autocheckpoint` pages, fsync included: under a
steady write load that is the loop's connection, a few milliseconds at a time. Here a
thread with its own connection checkpoints every INTERVAL_S instead (PASSIVE: it never
blocks a writer, and sqlite3 releases the GIL while it works), and the loop's connection
keeps a far larger auto-checkpoint threshold only as a backstop should the thread fall
behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

INTERVAL_S = 0.1
IDLE_INTERVAL_S = 2.0  # an idle store is looked at ever less often, up to this
BACKSTOP_PAGES = 16_000  # ~64 MB of WAL before the loop's connection checkpoints itself


class Checkpointer:
    def __init__(
        self, path: Path, interval_s: float = INTERVAL_S, synchronous: str = "NORMAL"
    ) -> None:
        self._path = path
        self._interval_s = interval_s
        # A checkpoint fsyncs as the connection that runs it is set: the file's own setting.
        self._synchronous = synchronous
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0

    def start(self, writer: sqlite3.Connection) -> None:
        writer.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        self._thread = threading.Thread(target=self._run, name="lambdalite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        interval = self._interval_s
        seen: tuple[int, int] = (-1, -1)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            while not self._stop.wait(interval):
                try:
                    row = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint of %s failed: %s", self._path.name, exc)
                    continue
                # (busy, frames in the WAL, frames copied so far): unchanged means no commit
                # since the last look.
                if (row[1], row[2]) != seen:
                    seen = (row[1], row[2])
                    self.checkpoints += row[2] > 0
                    interval = self._interval_s
                else:
                    interval = min(interval * 2, IDLE_INTERVAL_S)
        finally:
            db.close()

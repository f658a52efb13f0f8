"""The invocation journal (observe/journal.py) in a SQLite file of its own, journal.sqlite3.

In the main file its rows made the main file's WAL half as big again, so its checkpoints
(which must keep pace with the async queue's group commits) had half as much more to copy
and fsync, and each batch sat in the same write lock. In its own file the journal commits
and checkpoints apart, at `synchronous=OFF`: it is a diagnostic record, not accepted work.
The trade: kill -9 loses nothing committed (the WAL is in the OS cache), and the writer
commits every ~0.1 s, so at most the outcomes recorded since the last batch go (never an
accepted event: those are in the main file); a power cut may lose more of the journal, or,
in the worst case, leave the file to be deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lambdalite.observe.journal import ERROR, THROTTLED, FunctionCounts, JournalEntry
from lambdalite.store.sqlite.database import SqliteDatabase

_COLUMNS = (
    "request_id, function_name, executed_version, invoked_arn, trigger, started_at, "
    "ended_at, logged_ms, duration_ms, billed_ms, init_ms, max_memory_mb, outcome, "
    "error_type, payload, payload_size, response, response_size, trace_id, source_id"
)
_INSERT = f"INSERT INTO invocations ({_COLUMNS}) VALUES ({','.join(['?'] * 20)})"
# Listings leave the (capped, but up to 256 KiB) payload and response behind.
_LISTED = _COLUMNS.replace("payload,", "x'',").replace("response,", "x'',")


_ADD_MINUTE = (
    "INSERT INTO invocation_minutes (function_name, minute, invocations, errors, throttles, "
    "duration_ms, last_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (minute, function_name) DO UPDATE "
    "SET invocations = invocations + excluded.invocations, errors = errors + excluded.errors, "
    "throttles = throttles + excluded.throttles, duration_ms = duration_ms + excluded.duration_ms, "
    "last_at = MAX(last_at, excluded.last_at)"
)


def _minutes(entries: Sequence[JournalEntry]) -> list[tuple[Any, ...]]:
    """The batch summed per function and minute."""
    sums: dict[tuple[str, int], list[Any]] = {}
    for e in entries:
        key = (e.function_name, int(e.started_at // 60))
        row = sums.setdefault(key, [0, 0, 0, 0.0, e.started_at])
        if e.outcome == THROTTLED:
            row[2] += 1
        else:
            row[0] += 1
            row[1] += e.outcome == ERROR
            row[3] += e.duration_ms
        row[4] = max(row[4], e.started_at)
    return [(name, minute, *row) for (name, minute), row in sums.items()]


def _row(entry: JournalEntry) -> tuple[Any, ...]:
    return (
        entry.request_id, entry.function_name, entry.executed_version, entry.invoked_arn,
        entry.trigger, entry.started_at, entry.ended_at, entry.logged_ms, entry.duration_ms,
        entry.billed_ms, entry.init_ms, entry.max_memory_mb, entry.outcome, entry.error_type,
        entry.payload, entry.payload_size, entry.response, entry.response_size,
        entry.trace_id, entry.source_id,
    )  # fmt: skip


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    (id_, request_id, function_name, executed_version, invoked_arn, trigger, started_at,
     ended_at, logged_ms, duration_ms, billed_ms, init_ms, max_memory_mb, outcome, error_type,
     payload, payload_size, response, response_size, trace_id, source_id) = row  # fmt: skip
    return JournalEntry(
        id=id_, request_id=request_id, function_name=function_name,
        executed_version=executed_version, invoked_arn=invoked_arn, trigger=trigger,
        started_at=started_at, ended_at=ended_at, logged_ms=logged_ms, duration_ms=duration_ms,
        billed_ms=billed_ms, init_ms=init_ms, max_memory_mb=max_memory_mb, outcome=outcome,
        error_type=error_type, payload=bytes(payload), payload_size=payload_size,
        response=bytes(response), response_size=response_size, trace_id=trace_id,
        source_id=source_id,
    )  # fmt: skip


class SqliteJournalStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def append(self, entries: Sequence[JournalEntry]) -> None:
        with self.database.transaction() as db:
            db.executemany(_INSERT, [_row(e) for e in entries])
            db.executemany(_ADD_MINUTE, _minutes(entries))

    async def recent(
        self,
        function_name: str,
        limit: int,
        *,
        before_id: int | None = None,
        failed_only: bool = False,
    ) -> list[JournalEntry]:
        rows = self.database.connection.execute(
            f"SELECT id, {_LISTED} FROM invocations WHERE function_name = :fn "
            "AND (:before IS NULL OR id < :before) AND (:failed = 0 OR outcome != 'Success') "
            "ORDER BY id DESC LIMIT :limit",
            {"fn": function_name, "before": before_id, "failed": int(failed_only), "limit": limit},
        ).fetchall()
        return [_entry(r) for r in rows]

    async def by_request(self, request_id: str) -> list[JournalEntry]:
        rows = self.database.connection.execute(
            f"SELECT id, {_COLUMNS} FROM invocations WHERE request_id = ? ORDER BY id",
            (request_id,),
        ).fetchall()
        return [_entry(r) for r in rows]

    async def counts(self, since: float) -> dict[str, FunctionCounts]:
        rows = self.database.connection.execute(
            "SELECT function_name, SUM(invocations), SUM(errors), SUM(throttles), "
            "SUM(duration_ms), MAX(last_at) FROM invocation_minutes WHERE minute >= ? "
            "GROUP BY function_name",
            (int(since // 60),),
        ).fetchall()
        return {r[0]: FunctionCounts(r[1], r[2], r[3], r[4], r[5]) for r in rows}

    async def prune(self, before: float, keep_per_function: int, functions: Sequence[str]) -> int:
        with self.database.transaction() as db:
            gone = db.execute("DELETE FROM invocations WHERE started_at < ?", (before,)).rowcount
            db.execute("DELETE FROM invocation_minutes WHERE minute < ?", (int(before // 60),))
            for name in functions:
                gone += db.execute(
                    "DELETE FROM invocations WHERE function_name = :fn AND id <= ("
                    "SELECT id FROM invocations WHERE function_name = :fn "
                    "ORDER BY id DESC LIMIT 1 OFFSET :keep)",
                    {"fn": name, "keep": keep_per_function},
                ).rowcount
        return int(gone)

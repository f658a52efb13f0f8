"""The invocation journal (observe/journal.py) in a SQLite file of its own, journal.sqlite3.

In the main file its rows gave the main file's checkpointer about half as much work again
under bench/async_invoke.py (py-spy samples: copies and fsyncs beside the async queue's
group commits). In its own file the journal commits and checkpoints apart (once a second,
its newest pages copied once rather than at every batch), at `synchronous=OFF`: it is a
diagnostic record, not accepted work.
The trade: kill -9 loses nothing committed (the WAL is in the OS cache), and the writer
commits every ~0.1 s, so at most the outcomes recorded since the last batch go (never an
accepted event: those are in the main file); a power cut may lose more of the journal, or,
in the worst case, leave the file to be deleted.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from lambdalite.observe.journal import (
    CAPTURE_BYTES,
    FunctionCounts,
    JournalEntry,
    Recorded,
    result_of,
)
from lambdalite.store.sqlite.database import SqliteDatabase

_COLUMNS = (
    "request_id, function_name, executed_version, invoked_arn, trigger, started_at, "
    "ended_at, logged_ms, duration_ms, billed_ms, init_ms, max_memory_mb, outcome, "
    "error_type, payload, payload_size, response, response_size, trace_id, source_id"
)
# Listings leave the (capped, but up to 256 KiB) payload and response behind.
_LISTED = _COLUMNS.replace("payload,", "x'',").replace("response,", "x'',")
# Rows per INSERT: one statement of many rows binds and steps once (measured 0.9 us a row
# less than executemany's statement per row).
ROWS_PER_STATEMENT = 100


@functools.cache
def _insert(count: int) -> str:
    values = ",".join([f"({','.join(['?'] * 20)})"] * count)
    return f"INSERT INTO invocations ({_COLUMNS}) VALUES {values}"


_ADD_MINUTE = (
    "INSERT INTO invocation_minutes (function_name, minute, invocations, errors, throttles, "
    "duration_ms, last_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (minute, function_name) DO UPDATE "
    "SET invocations = invocations + excluded.invocations, errors = errors + excluded.errors, "
    "throttles = throttles + excluded.throttles, duration_ms = duration_ms + excluded.duration_ms, "
    "last_at = MAX(last_at, excluded.last_at)"
)


def _minutes(recorded: Sequence[Recorded]) -> list[tuple[Any, ...]]:
    """The batch summed per function and minute."""
    sums: dict[tuple[str, int], list[Any]] = {}
    for o, _ in recorded:
        key = (o.function_name, int(o.started_at // 60))
        row = sums.setdefault(key, [0, 0, 0, 0.0, o.started_at])
        if o.throttled:
            row[2] += 1
        else:
            row[0] += 1
            row[1] += o.function_error is not None
            row[3] += o.duration_ms
        if o.started_at > row[4]:
            row[4] = o.started_at
    return [(name, minute, *row) for (name, minute), row in sums.items()]


def _values(recorded: Sequence[Recorded]) -> Iterator[Any]:
    """The rows' values in _COLUMNS order, one flat run (a multi-row INSERT's parameters)."""
    for o, logged_ms in recorded:
        payload, response = o.payload, o.response
        yield from (
            o.request_id, o.function_name, o.executed_version, o.invoked_arn, o.trigger.value,
            o.started_at, o.started_at + o.duration_ms / 1000, logged_ms, o.duration_ms,
            o.billed_duration_ms, o.init_duration_ms, o.max_memory_used_mb, result_of(o),
            o.error_type, payload[:CAPTURE_BYTES], len(payload), response[:CAPTURE_BYTES],
            len(response), o.trace_id, o.source_id,
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

    async def append(self, recorded: Sequence[Recorded]) -> None:
        with self.database.transaction() as db:
            for start in range(0, len(recorded), ROWS_PER_STATEMENT):
                part = recorded[start : start + ROWS_PER_STATEMENT]
                db.execute(_insert(len(part)), list(_values(part)))
            db.executemany(_ADD_MINUTE, _minutes(recorded))

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

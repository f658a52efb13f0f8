"""Reading and writing log events: GetLogEvents (forward/backward tokens that repeat at the
end of a stream), FilterLogEvents (filter patterns, interleaved timestamp order, a token
whenever more may exist) and PutLogEvents (AWS's batch rules; sequence tokens ignored).

Both readers order events by (timestamp, event id) and both take `startTime` inclusive,
which is what `aws logs tail --follow` relies on (brief 2.4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lambdalite.clock import Clock
from lambdalite.logs.catalog import LogCatalog
from lambdalite.logs.errors import InvalidParameterException
from lambdalite.logs.patterns import FilterPatternError, compile_pattern
from lambdalite.logs.store import EventQuery, LogRow, LogStore, Position, StoredLogEvent
from lambdalite.logs.tokens import event_token, parse_event_token

DEFAULT_LIMIT = 10_000
SCAN_ROWS = 10_000  # events a FilterLogEvents call reads at most before it answers
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
TOO_NEW_MS = 2 * 3600 * 1000
TOO_OLD_MS = 14 * 86_400 * 1000
_END = 2**53


def matcher(pattern: str | None) -> Callable[[str], bool]:
    try:
        return compile_pattern(pattern or "")
    except FilterPatternError as exc:
        raise InvalidParameterException(str(exc)) from None


@dataclass(frozen=True, slots=True)
class StreamPage:
    events: list[StoredLogEvent]
    forward: str
    backward: str


@dataclass(frozen=True, slots=True)
class FilterPage:
    events: list[StoredLogEvent]
    next_token: str | None


@dataclass(slots=True)
class PutResult:
    rejected: dict[str, int] = field(default_factory=dict)


class LogEvents:
    def __init__(
        self,
        store: LogStore,
        catalog: LogCatalog,
        clock: Clock,
        on_stored: Callable[[], None],
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._clock = clock
        self._on_stored = on_stored

    async def get(
        self,
        group: str,
        stream: str,
        *,
        start_ms: int | None,
        end_ms: int | None,
        limit: int | None,
        start_from_head: bool,
        token: str | None,
    ) -> StreamPage:
        direction, at = "f" if start_from_head else "b", None
        if token is not None:
            direction, at = parse_event_token(token, "nextToken")
        await self._catalog.require_stream(group, stream)
        base = EventQuery(
            log_group=group,
            streams=[stream],
            start_ms=start_ms,
            end_ms=None if end_ms is None else end_ms - 1,  # GetLogEvents' endTime is exclusive
            limit=limit or DEFAULT_LIMIT,
        )
        if direction == "f":
            query = EventQuery(**{**_fields(base), "after": at})
            events = await self._store.read(query)
        else:
            query = EventQuery(**{**_fields(base), "before": at, "newest_first": True})
            events = list(reversed(await self._store.read(query)))
        if events:
            return StreamPage(
                events, event_token("f", events[-1].position),
                event_token("b", events[0].position),
            )  # fmt: skip
        here = at or ((start_ms or 0, 0) if direction == "f" else (end_ms or _END, 0))
        return StreamPage(
            [],
            token if token and direction == "f" else event_token("f", here),
            token if token and direction == "b" else event_token("b", here),
        )

    async def filter(
        self,
        group: str,
        *,
        streams: Sequence[str] | None,
        stream_prefix: str | None,
        start_ms: int | None,
        end_ms: int | None,
        pattern: str | None,
        limit: int | None,
        token: str | None,
    ) -> FilterPage:
        if streams and stream_prefix:
            raise InvalidParameterException(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
            )
        match = matcher(pattern)
        after = parse_event_token(token)[1] if token is not None else None
        await self._catalog.require_group(group)
        limit = limit or DEFAULT_LIMIT
        scanned = await self._store.read(
            EventQuery(
                log_group=group,
                streams=list(streams) if streams else None,
                stream_prefix=stream_prefix,
                start_ms=start_ms,
                end_ms=end_ms,
                after=after,
                limit=SCAN_ROWS,
            )
        )
        matched: list[StoredLogEvent] = []
        last: Position | None = None
        for event in scanned:
            if match(event.message):
                matched.append(event)
                if len(matched) == limit:
                    last = event.position
                    break
        more = len(scanned) == SCAN_ROWS or (last is not None and scanned[-1].position != last)
        if last is None and scanned:
            last = scanned[-1].position
        return FilterPage(matched, event_token("f", last) if more and last else None)

    async def put(self, group: str, stream: str, events: Sequence[dict[str, Any]]) -> PutResult:
        await self._catalog.require_stream(group, stream)
        _check_batch(events)
        now_ms = int(self._clock.now() * 1000)
        retention = (await self._catalog.require_group(group)).retention_days
        oldest_ms = now_ms - (retention * 86_400_000 if retention else TOO_OLD_MS)
        result = PutResult()
        rows: list[LogRow] = []
        for i, event in enumerate(events):
            ts = int(event["timestamp"])
            if ts > now_ms + TOO_NEW_MS:
                result.rejected.setdefault("tooNewLogEventStartIndex", i)
            elif ts < oldest_ms:
                key = "expiredLogEventEndIndex" if retention else "tooOldLogEventEndIndex"
                result.rejected[key] = i
            else:
                rows.append((group, stream, ts, event["message"]))
        if rows:
            await self._store.append(rows, now_ms)
            self._on_stored()
        return result


def _fields(query: EventQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}


def _check_batch(events: Sequence[dict[str, Any]]) -> None:
    size = sum(len(e["message"].encode()) + EVENT_OVERHEAD for e in events)
    if size > MAX_BATCH_BYTES:
        raise InvalidParameterException(
            f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )
    stamps = [int(e["timestamp"]) for e in events]
    if any(b < a for a, b in zip(stamps, stamps[1:], strict=False)):
        raise InvalidParameterException(
            "Log events in a single PutLogEvents request must be in chronological order."
        )
    if stamps and stamps[-1] - stamps[0] > 86_400_000:
        raise InvalidParameterException(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours."
        )

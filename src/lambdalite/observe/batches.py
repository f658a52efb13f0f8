"""The mapping batch journal: what happened to each batch an event source mapping's poller
formed, for the console's batch view (S5). A batch's records (SQS message ids, or a stream
shard's sequence range), how many records the filter dropped before it formed, each
invocation (with its records: bisection shows as smaller ones), the batchItemFailures the
function answered, retries and their times, and how it settled: SQS deletes, a stream
checkpoint advance, or the on-failure record sent instead.

Kept in memory and bounded: the newest `KEEP_PER_MAPPING` batches of each mapping (older
ones are dropped and counted), the newest `MAX_MAPPINGS` mappings. A restart starts it
empty: the invocations themselves stay in the durable invocation journal, which links here
by request id. The pollers write through the `BatchLog` protocol, so a durable journal can
replace this one without touching them.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

KEEP_PER_MAPPING = 100
MAX_MAPPINGS = 1000
MAX_IDS = 100  # message ids kept per batch (a batch holds up to 10,000)
_ids = itertools.count(1)


@dataclass
class BatchEntry:
    id: str
    mapping_uuid: str
    source: str  # "sqs", "kinesis", "dynamodb"
    started_at: float
    records: int
    first: str  # the first message id, or sequence number
    last: str
    shard_id: str | None = None
    message_ids: list[str] = field(default_factory=list)
    filtered_out: int = 0
    state: str = "InProgress"  # InProgress, Retrying, Succeeded, Partial, Failed, Discarded
    invokes: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)  # splits, retries, settles
    retry_at: float | None = None
    ended_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        return {_camel(k): v for k, v in doc.items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class BatchLog(Protocol):
    """What a poller tells about its batches; every method takes the id `begin` gave."""

    def begin(
        self,
        mapping_uuid: str,
        source: str,
        at: float,
        ids: list[str],
        *,
        shard_id: str | None = None,
        filtered_out: int = 0,
    ) -> str: ...

    def invoked(self, batch_id: str, at: float, **facts: Any) -> None: ...

    def step(self, batch_id: str, at: float, kind: str, **facts: Any) -> None: ...

    def end(self, batch_id: str, at: float, state: str) -> None: ...


class BatchJournal:
    """The in-memory BatchLog the console reads."""

    def __init__(self, keep: int = KEEP_PER_MAPPING, max_mappings: int = MAX_MAPPINGS) -> None:
        self._keep = keep
        self._max_mappings = max_mappings
        self._by_mapping: OrderedDict[str, deque[BatchEntry]] = OrderedDict()
        self._by_id: dict[str, BatchEntry] = {}
        self._by_request: dict[str, str] = {}
        self.dropped: dict[str, int] = {}
        self.version = 0  # moves at every change: the console's live check compares it

    # BatchLog -------------------------------------------------------------------------------

    def begin(
        self,
        mapping_uuid: str,
        source: str,
        at: float,
        ids: list[str],
        *,
        shard_id: str | None = None,
        filtered_out: int = 0,
    ) -> str:
        entry = BatchEntry(
            id=f"b{next(_ids)}",
            mapping_uuid=mapping_uuid,
            source=source,
            started_at=at,
            records=len(ids),
            first=ids[0] if ids else "",
            last=ids[-1] if ids else "",
            shard_id=shard_id,
            message_ids=ids[:MAX_IDS] if source == "sqs" else [],
            filtered_out=filtered_out,
        )
        kept = self._mapping(mapping_uuid)
        if len(kept) == self._keep:
            self._forget(kept.popleft())
            self.dropped[mapping_uuid] = self.dropped.get(mapping_uuid, 0) + 1
        kept.append(entry)
        self._by_id[entry.id] = entry
        self.version += 1
        return entry.id

    def invoked(self, batch_id: str, at: float, **facts: Any) -> None:
        entry = self._by_id.get(batch_id)
        if entry is None:
            return
        self.version += 1
        entry.invokes.append({"at": at, **facts})
        if entry.ended_at is None:
            entry.state, entry.retry_at = "InProgress", None
        request_id = facts.get("requestId")
        if request_id:
            self._by_request[request_id] = batch_id

    def step(self, batch_id: str, at: float, kind: str, **facts: Any) -> None:
        entry = self._by_id.get(batch_id)
        if entry is None:
            return
        self.version += 1
        entry.steps.append({"at": at, "kind": kind, **facts})
        if kind == "retry":
            entry.state, entry.retry_at = "Retrying", facts.get("retryAt")

    def end(self, batch_id: str, at: float, state: str) -> None:
        entry = self._by_id.get(batch_id)
        self.version += 1
        if entry is not None:
            if any(s["kind"] == "onFailure" for s in entry.steps):
                state = "Discarded"  # some records went to the on-failure destination
            entry.state, entry.ended_at, entry.retry_at = state, at, None

    # reads ----------------------------------------------------------------------------------

    def recent(self, mapping_uuid: str, limit: int = KEEP_PER_MAPPING) -> list[BatchEntry]:
        """Newest first."""
        kept = self._by_mapping.get(mapping_uuid, ())
        return list(reversed(kept))[:limit]

    def find(self, batch_or_request_id: str) -> BatchEntry | None:
        """A batch by its id, or by the request id of one of its invocations."""
        entry = self._by_id.get(batch_or_request_id)
        if entry is None and batch_or_request_id in self._by_request:
            entry = self._by_id.get(self._by_request[batch_or_request_id])
        return entry

    def _mapping(self, uuid: str) -> deque[BatchEntry]:
        kept = self._by_mapping.get(uuid)
        if kept is None:
            if len(self._by_mapping) == self._max_mappings:
                _, oldest = self._by_mapping.popitem(last=False)
                for entry in oldest:
                    self._forget(entry)
            kept = self._by_mapping[uuid] = deque()
        else:
            self._by_mapping.move_to_end(uuid)
        return kept

    def _forget(self, entry: BatchEntry) -> None:
        self._by_id.pop(entry.id, None)
        for invoke in entry.invokes:
            self._by_request.pop(invoke.get("requestId") or "", None)

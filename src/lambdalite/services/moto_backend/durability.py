"""S3 and DynamoDB survive restarts: every request that changed moto's state is kept, in
order, before it is answered, and replayed into a fresh moto when the server starts.

moto keeps its state in memory; rather than snapshot its objects (which change shape from
release to release), lambdalite keeps what its clients sent, the request log, and plays
it back. For the replay to rebuild the same state, each request runs the same way twice:
- moto's ids come from its own seeded random source: each kept request reseeds it with a
  seed of its own, recorded with it (version ids, stream event ids, request ids);
- moto's timestamps come from its clock (moto.core.utils.utcnow), which the engine pins to
  one recorded instant for the whole of each kept request, live and on replay, so
  LastModified, CreationDateTime and a stream's label come back to the microsecond;
- the one value moto derives from neither, a multipart upload's id (os.urandom, named by
  the upload's later requests), is put back from what the request recorded.

Only what succeeded (2xx) is kept; reads are not. Replay runs before the server answers
anything, with the event loop held. A request that
fails on replay (its precondition was lost with a request that was never answered) is
logged and skipped. The log is never compacted: deleting a bucket or table keeps the
requests that built it (documented in the README).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambdalite.services.moto_backend.ddb_stream import DynamoStreamReader
from lambdalite.services.moto_backend.engine import MotoEngine, MotoRequest, MotoResponse

log = logging.getLogger(__name__)

# DynamoDB operations that only read (X-Amz-Target's operation prefix); the rest are kept.
_READS = ("Get", "BatchGet", "TransactGet", "Describe", "List", "Query", "Scan")
_UPLOAD_ID = re.compile(rb"<UploadId>([^<]+)</UploadId>")


@dataclass(frozen=True, slots=True)
class KeptRequest:
    """One request that changed moto's state, with what its replay needs."""

    seq: int
    request: MotoRequest
    seed: int  # moto's random source, reseeded with this before the request ran
    wall_time: float  # the instant moto's clock was pinned to as it ran
    clock_time: float  # the platform clock: DynamoDB stream records' arrival stamps
    restore: dict[str, Any] = field(default_factory=dict)  # an upload's id


class KeptRequestStore(Protocol):
    """Storage for the request log, in the backend's file (durable before the answer)."""

    async def append(self, kept: KeptRequest) -> None: ...

    async def kept(self) -> Sequence[KeptRequest]:
        """Every kept request, in `seq` order."""
        ...


@dataclass(slots=True)
class Pending:
    """A request on its way through moto (on moto's thread)."""

    request: MotoRequest
    seed: int
    wall_time: float
    clock_time: float


def changes_state(request: MotoRequest) -> bool:
    if request.service == "s3":
        return request.method in ("PUT", "POST", "DELETE")
    if request.service == "dynamodb":
        operation = request.headers.get("x-amz-target", "").partition(".")[2]
        return not operation.startswith(_READS)
    return False  # DynamoDB Streams only reads


class Durability:
    def __init__(
        self, engine: MotoEngine, streams: DynamoStreamReader, store: KeptRequestStore
    ) -> None:
        self._engine = engine
        self._streams = streams
        self._store = store
        self._seq = 0

    # -- live: around each request, on moto's thread ---------------------------------------

    def call(
        self, request: MotoRequest, clock_time: float
    ) -> tuple[MotoResponse, KeptRequest | None]:
        """Run `request` through moto, and what to keep of it (None: a read, or it failed)."""
        pending = self._before(request, clock_time)
        at = None if pending is None else pending.wall_time
        answer = self._engine.call_sync(request, at)
        return answer, self._after(pending, answer)

    def _before(self, request: MotoRequest, clock_time: float) -> Pending | None:
        """Reseed moto for a request that may change state; None for a read."""
        if not changes_state(request):
            return None
        seed = secrets.randbits(63)
        self._engine.seed(seed)
        return Pending(request, seed, time.time(), clock_time)

    def _after(self, pending: Pending | None, answer: MotoResponse) -> KeptRequest | None:
        """What to keep of a request that changed state (None: a read, or it failed)."""
        if pending is None or not 200 <= answer.status < 300:
            return None
        self._seq += 1
        restore = self._restore_facts(pending.request, answer)
        return KeptRequest(
            self._seq, pending.request, pending.seed, pending.wall_time, pending.clock_time,
            restore,
        )  # fmt: skip

    async def keep(self, kept: KeptRequest | None) -> None:
        """Commit a kept request (before its answer goes out)."""
        if kept is not None:
            await self._store.append(kept)

    # -- start-up ----------------------------------------------------------------------------

    async def replay(self) -> int:
        """Play the request log back into moto; returns how many requests it held."""
        kept = await self._store.kept()
        if not kept:
            return 0
        self._seq = kept[-1].seq
        started = time.perf_counter()
        failed = self._engine.run_holding_loop(lambda: self._replay(kept))
        log.info(
            "S3/DynamoDB: replayed %d kept requests in %.2f s (%d failed)",
            len(kept), time.perf_counter() - started, failed,
        )  # fmt: skip
        return len(kept)

    def _replay(self, kept: Sequence[KeptRequest]) -> int:
        failed = 0
        for entry in kept:
            request = entry.request
            self._engine.seed(entry.seed)
            answer = self._engine.call_sync(request, at=entry.wall_time)
            if not 200 <= answer.status < 300:
                failed += 1
                log.warning(
                    "S3/DynamoDB: kept request %d (%s %s) failed on replay: %d %s",
                    entry.seq, request.method, request.url, answer.status, answer.body[:200],
                )  # fmt: skip
                continue
            self._put_back(entry, answer)
            if request.service == "dynamodb":
                self._streams.stamp(request.region, entry.clock_time)
        return failed

    # -- what moto derives from neither seed nor clock ---------------------------------------

    def _restore_facts(self, request: MotoRequest, answer: MotoResponse) -> dict[str, Any]:
        if request.service == "s3" and request.method == "POST" and "uploads" in _query(request):
            found = _UPLOAD_ID.search(answer.body)
            if found is not None:
                return {"upload_id": found.group(1).decode(), "bucket": _bucket(request)}
        return {}

    def _put_back(self, entry: KeptRequest, answer: MotoResponse) -> None:
        upload_id = entry.restore.get("upload_id")
        found = _UPLOAD_ID.search(answer.body)
        if not upload_id or found is None or found.group(1).decode() == upload_id:
            return
        buckets = self._engine.backend("s3", entry.request.region).buckets
        bucket = buckets.get(entry.restore.get("bucket"))
        if bucket is not None:
            upload = bucket.multiparts.pop(found.group(1).decode())
            upload.id = upload_id
            bucket.multiparts[upload_id] = upload


def _query(request: MotoRequest) -> set[str]:
    query = request.url.partition("?")[2]
    return {part.partition("=")[0] for part in query.split("&") if part}


def _bucket(request: MotoRequest) -> str:
    path = request.url.partition("://")[2].partition("/")[2]
    return path.partition("?")[0].partition("/")[0]

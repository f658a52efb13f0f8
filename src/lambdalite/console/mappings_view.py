"""Event source mappings (S5) and one mapping batch (the batch view): each mapping's
configuration, state and LastProcessingResult, its lag (an SQS queue's visible and
in-flight messages; a stream's checkpoint against the latest record of each shard and the
IteratorAge), its poller's counters and its recent batches from the batch journal
(observe/batches.py)."""

from __future__ import annotations

from typing import Any

from lambdalite.console.views import clock_view
from lambdalite.errors import ResourceNotFoundException
from lambdalite.esm.model import EventSourceMapping, SourceKind
from lambdalite.esm.stats import PollerStats
from lambdalite.platform import Platform

RECENT_BATCHES = 10
BEHIND_CAP = 1000  # records counted behind a checkpoint, at most
_SERVICE = {SourceKind.KINESIS: "kinesis", SourceKind.DYNAMODB: "dynamodb"}


async def all_mappings(p: Platform) -> list[EventSourceMapping]:
    found: list[EventSourceMapping] = []
    marker: str | None = None
    while True:
        page = await p.mappings.list(None, None, marker, None)
        found += page.items
        marker = page.next_marker
        if marker is None:
            return found


def _stats(p: Platform, uuid: str) -> PollerStats | None:
    return p.sqs_pollers.stats.get(uuid) or p.stream_deps.stats.get(uuid)


async def _queue_lag(p: Platform, arn: str) -> dict[str, Any]:
    queue = p.sqs.queue_from_arn(arn)
    if queue is None:
        return {"exists": False}
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = await p.sqs.get_attributes(queue, names)
    return {
        "exists": True,
        "queueName": queue.name,
        "visible": int(attrs.get(names[0], "0")),
        "inFlight": int(attrs.get(names[1], "0")),
    }


async def _stream_lag(p: Platform, m: EventSourceMapping) -> dict[str, Any]:
    reader = p.directory.streams[_SERVICE[m.source_kind]]
    arn = m.event_source_arn
    try:
        shards = await reader.shards(arn)
    except Exception:  # the stream is gone: the mapping's result says so
        return {"exists": False, "shards": []}
    checkpoints = await p.backend.event_source_mappings.checkpoints(m.uuid)
    rows = []
    for shard in shards:
        done = checkpoints.get((shard.shard_id, ""))
        latest = await reader.latest_sequence(arn, shard.shard_id)
        behind = 0
        if latest is not None and done != latest:
            behind = len(await reader.read(arn, shard.shard_id, done, BEHIND_CAP))
        rows.append(
            {"shardId": shard.shard_id, "checkpoint": done, "latest": latest, "behind": behind}
        )
    return {"exists": True, "shards": rows}


async def mapping_row(p: Platform, m: EventSourceMapping) -> dict[str, Any]:
    c = m.config
    stats = _stats(p, m.uuid)
    if stats is not None:
        await stats.refresh()
    stream = m.source_kind in _SERVICE
    lag = await (_stream_lag(p, m) if stream else _queue_lag(p, m.event_source_arn))
    if stats is not None and stream:
        lag["iteratorAgeMs"] = stats.to_json().get("IteratorAgeMilliseconds", 0)
    return {
        "uuid": m.uuid,
        "source": m.event_source_arn,
        "sourceKind": m.source_kind.value,
        "functionArn": m.function_arn,
        "functionName": m.function_name,
        "state": m.state.value,
        "stateTransitionReason": m.state_transition_reason,
        "enabled": c.enabled,
        "batchSize": c.batch_size,
        "maximumBatchingWindowInSeconds": c.maximum_batching_window_in_seconds,
        "filterCriteria": list(c.filter_patterns or []),
        "bisectBatchOnFunctionError": c.bisect_batch_on_function_error,
        "maximumRetryAttempts": c.maximum_retry_attempts,
        "onFailure": c.on_failure,
        "onSuccess": c.on_success,
        "lastProcessingResult": m.last_processing_result,
        "lag": lag,
        "stats": stats.to_json() if stats is not None else None,
        "batches": [b.to_json() for b in p.batches.recent(m.uuid, RECENT_BATCHES)],
        "batchesDropped": p.batches.dropped.get(m.uuid, 0),
    }


async def mappings_list(p: Platform) -> dict[str, Any]:
    rows = [await mapping_row(p, m) for m in await all_mappings(p)]
    return {"mappings": rows, "clock": clock_view(p)}


async def batch_view(p: Platform, batch_or_request_id: str) -> dict[str, Any]:
    entry = p.batches.find(batch_or_request_id)
    if entry is None:
        raise ResourceNotFoundException(
            f"No batch {batch_or_request_id} in the batch journal (it keeps the newest "
            "batches of each mapping since the server started)."
        )
    mapping: dict[str, Any] = {"uuid": entry.mapping_uuid, "source": "", "functionName": ""}
    try:
        found = await p.mappings.get(entry.mapping_uuid)
        mapping.update(source=found.event_source_arn, functionName=found.function_name)
    except ResourceNotFoundException:  # deleted since: its batches stay until dropped
        pass
    return {"batch": entry.to_json(), "mapping": mapping, "clock": clock_view(p)}

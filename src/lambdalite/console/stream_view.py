"""One Kinesis stream on the resources screen (S6): its shards with their hash ranges and
latest sequence numbers, the mappings reading it, and its newest records, their data shown
as text (the page escapes it) and base64 when it is not UTF-8."""

from __future__ import annotations

import base64
from typing import Any

from lambdalite.platform import Platform
from lambdalite.services.kinesis.model import Record, Stream

RECENT_PER_SHARD = 20
SHOWN_BYTES = 4096


def stream_row(s: Stream) -> dict[str, Any]:
    return {
        "name": s.name,
        "arn": s.arn,
        "status": str(s.status),
        "mode": str(s.mode),
        "shardCount": len(s.shards),
        "retentionHours": s.retention_hours,
        "createdAt": s.created_at,
    }


def _record(r: Record) -> dict[str, Any]:
    try:
        text: str | None = r.data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "shardId": r.shard_id,
        "sequenceNumber": r.sequence_number,
        "partitionKey": r.partition_key,
        "arrivedAt": r.approximate_arrival_timestamp,
        "size": len(r.data),
        "text": None if text is None else text[:SHOWN_BYTES],
        "base64": base64.b64encode(r.data[:SHOWN_BYTES]).decode() if text is None else None,
    }


async def stream_detail(p: Platform, name: str) -> dict[str, Any]:
    stream = await p.kinesis.stream(name)  # ResourceNotFoundException when there is none
    reader = p.kinesis.reader
    shards = []
    records: list[Record] = []
    for shard in stream.shards:
        latest = await reader.latest_sequence(stream.arn, shard.shard_id)
        shards.append(
            {
                "shardId": shard.shard_id,
                "startingHashKey": str(shard.starting_hash),
                "endingHashKey": str(shard.ending_hash),
                "open": True,  # no resharding here: every shard stays open
                "latestSequenceNumber": latest,
            }
        )
        if latest is not None:
            counter = int(latest[len(shard.sequence_prefix) :])
            start = shard.sequence(max(0, counter - RECENT_PER_SHARD))
            records += await reader.read(stream.arn, shard.shard_id, start, RECENT_PER_SHARD)
    records.sort(key=lambda r: (r.approximate_arrival_timestamp, r.sequence_number), reverse=True)
    mappings = await p.mappings.list(stream.arn, None, None, 100)
    return {
        **stream_row(stream),
        "shards": shards,
        "consumers": [
            {"uuid": m.uuid, "functionName": m.function_name, "state": m.state.value}
            for m in mappings.items
        ],
        "records": [_record(r) for r in records[:RECENT_PER_SHARD]],
    }

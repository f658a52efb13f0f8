"""What the console's buttons do: Re-invoke an event, redrive a DLQ back to its function,
purge a queue (confirmed with the count it will delete), and move a virtual clock.

Re-invoke and redrive make new async events through the queue's own entry point, as
SNS or EventBridge would; neither exists in AWS's Lambda API (the console says so).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdalite.clock import VirtualClock
from lambdalite.errors import InvalidParameterValueException, ResourceNotFoundException
from lambdalite.platform import Platform

REDRIVE_BATCH = 10
REDRIVE_MAX = 1000  # messages one redrive moves


async def reinvoke(p: Platform, request_id: str) -> dict[str, Any]:
    runs = await p.journal.store.by_request(request_id)
    if not runs:
        raise ResourceNotFoundException(f"No invocation with request id {request_id} is journalled")
    first = runs[0]
    if first.payload_size > len(first.payload):
        raise InvalidParameterValueException(
            "The journal keeps only the first 256 KiB of this payload; re-invoke it yourself."
        )
    new_id = await p.async_queue.invoke_async(first.invoked_arn, first.payload, source="console")
    return {"requestId": new_id, "from": request_id, "functionName": first.function_name}


async def _redrive_target(
    p: Platform, body: str, attributes: Mapping[str, Mapping[str, Any]]
) -> tuple[str, bytes]:
    """Which function a DLQ message goes back to, and the event to give it."""
    request_id = attributes.get("RequestID", {}).get("StringValue")
    if request_id:
        runs = await p.journal.store.by_request(request_id)
        if runs:
            return runs[0].invoked_arn, body.encode()
    try:
        record = json.loads(body)
    except ValueError:
        record = None
    if isinstance(record, dict) and "requestContext" in record:  # an OnFailure record
        arn = str(record["requestContext"]["functionArn"])
        return arn, json.dumps(record.get("requestPayload")).encode()
    raise InvalidParameterValueException("Cannot tell which function this message came from")


@dataclass
class Redriven:
    moved: int = 0
    failed: int = 0


async def redrive(p: Platform, queue_name: str, message_id: str | None = None) -> dict[str, Any]:
    """Re-invoke each visible message (or the one with `message_id`) asynchronously on the
    function it failed in, deleting it once the new event is accepted."""
    queue = p.sqs.queue(queue_name)
    result = Redriven()
    seen: set[str] = set()
    keep: list[str] = []
    while result.moved + result.failed < REDRIVE_MAX:
        got = await p.sqs.consume(queue.arn, REDRIVE_BATCH)
        fresh = [m for m in got if m.message_id not in seen]
        if not fresh:
            break
        done = []
        for m in fresh:
            seen.add(m.message_id)
            if message_id is not None and m.message_id != message_id:
                keep.append(m.receipt_handle)
                continue
            try:
                arn, event = await _redrive_target(p, m.body, m.message_attributes)
                await p.async_queue.invoke_async(arn, event, source="console redrive")
                done.append(m.receipt_handle)
                result.moved += 1
            except Exception:
                keep.append(m.receipt_handle)
                result.failed += 1
        await p.sqs.delete_consumed(queue.arn, done)
        if message_id is not None and message_id in seen:
            break
    if keep:  # visible again at once for whoever reads the queue next
        await p.sqs.release_consumed(queue.arn, keep, 0)
    return {"queueName": queue.name, "moved": result.moved, "failed": result.failed}


async def move_to_sources(p: Platform, queue_name: str) -> dict[str, Any]:
    """SQS's own redrive (StartMessageMoveTask) of a queue's dead-letter queue."""
    queue = p.sqs.queue(queue_name)
    handle = await p.sqs_moves.start_task(queue.arn, None, None)
    await p.drain(30.0)
    (task,) = p.sqs_moves.list_tasks(queue.arn, 1)
    return {"queueName": queue_name, "taskHandle": handle, "task": task}


async def message_count(p: Platform, queue_name: str) -> int:
    queue = p.sqs.queue(queue_name)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attrs = await p.sqs.get_attributes(queue, names)
    return sum(int(attrs.get(n, "0")) for n in names)


async def purge(p: Platform, queue_name: str, confirm: int | None) -> dict[str, Any]:
    """Without `confirm` (or with a count that is no longer right): say how many messages
    would go. With the current count: purge."""
    count = await message_count(p, queue_name)
    if confirm != count:
        return {"queueName": queue_name, "confirm": count, "purged": False}
    await p.sqs.purge(p.sqs.queue(queue_name))
    return {"queueName": queue_name, "purged": True, "count": count}


async def advance_clock(p: Platform, seconds: float) -> dict[str, Any]:
    if not isinstance(p.clock, VirtualClock):
        raise InvalidParameterValueException(
            "The clock is not virtual; start the server with --clock virtual."
        )
    if not 0 <= seconds <= 366 * 86400:
        raise InvalidParameterValueException("Advance by 0 to 366 days' worth of seconds.")
    p.clock.advance(seconds)
    drained = await p.drain(30.0)
    return {"now": p.clock.now(), "drained": drained}


async def set_mapping_enabled(p: Platform, uuid: str, enabled: bool) -> dict[str, Any]:
    """Enable or disable a mapping as UpdateEventSourceMapping does (same checks, same
    states: Enabling or Disabling, then Enabled or Disabled)."""
    mapping = await p.mappings.update(uuid, {"Enabled": enabled})
    return {"uuid": mapping.uuid, "state": mapping.state.value, "enabled": enabled}

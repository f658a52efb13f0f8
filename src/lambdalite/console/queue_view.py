"""One SQS queue on the resources screen (S6): its attributes (redrive policy, FIFO), its
visible, in-flight and delayed counts, and its messages read from the store without
receiving them (a receive would change them)."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.console.links import resource_path
from lambdalite.platform import Platform
from lambdalite.services.sqs.attributes import COUNTS
from lambdalite.services.sqs.model import Queue

PEEK_LIMIT = 100
_VISIBLE, _IN_FLIGHT, _DELAYED = COUNTS


async def queue_row(p: Platform, queue: Queue) -> dict[str, Any]:
    counts = await p.sqs.get_attributes(queue, list(COUNTS))
    redrive = queue.redrive
    return {
        "name": queue.name,
        "arn": queue.arn,
        "fifo": queue.fifo,
        "visible": int(counts.get(_VISIBLE, "0")),
        "inFlight": int(counts.get(_IN_FLIGHT, "0")),
        "delayed": int(counts.get(_DELAYED, "0")),
        "redrive": None
        if redrive is None
        else {
            "deadLetterTargetArn": redrive.dead_letter_arn,
            "maxReceiveCount": redrive.max_receive_count,
            "link": resource_path(redrive.dead_letter_arn),
        },
    }


def _state(sent: float, visible_at: float, receive_count: int, now: float) -> str:
    if visible_at <= now:
        return "visible"
    return "in flight" if receive_count > 0 else "delayed"


async def queue_detail(p: Platform, name: str, limit: int = PEEK_LIMIT) -> dict[str, Any]:
    queue = p.sqs.queue(name)  # QueueDoesNotExist when there is none
    now = p.clock.now()
    attributes = await p.sqs.get_attributes(queue, ["All"])
    messages = [
        {
            "messageId": m.message_id,
            "body": m.body,
            "attributes": {
                k: v.get("StringValue", v.get("BinaryValue")) for k, v in m.attributes.items()
            },
            "sentAt": m.sent,
            "receiveCount": m.receive_count,
            "visibleAt": m.visible_at,
            "state": _state(m.sent, m.visible_at, m.receive_count, now),
        }
        for m in await p.sqs.peek(queue, limit)
    ]
    sources = await p.sqs.dead_letter_sources(queue)
    mappings = await p.mappings.list(queue.arn, None, None, 100)
    return {
        **await queue_row(p, queue),
        "url": p.sqs.url(queue.name, p.base_url),
        "attributes": attributes,
        "redrivePolicy": json.loads(attributes["RedrivePolicy"])
        if attributes.get("RedrivePolicy")
        else None,
        "deadLetterSources": [{"name": n, "link": resource_path(p.sqs.arn(n))} for n in sources],
        "consumers": [
            {"uuid": m.uuid, "functionName": m.function_name, "state": m.state.value}
            for m in mappings.items
        ],
        "messages": messages,
        "peekLimit": limit,
    }

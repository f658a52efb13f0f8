"""The async event journey (S3): the queue's own journey of the event (asyncq/journey.py)
joined with its attempts in the invocation journal, laid out on a time scale, with the
exact records its deliveries sent (read back from the target queue when it is one of ours).
"""

from __future__ import annotations

import re
from typing import Any

from lambdalite.asyncq import journey
from lambdalite.console.views import clock_view, listed
from lambdalite.errors import ResourceNotFoundException
from lambdalite.platform import Platform

PEEK_LIMIT = 1000  # messages looked through for a delivered record
_DELIVERED = re.compile(r"^(\w+) (arn:\S+) \(message ([^)]+)\)$")


def _bar(start: float, end: float, origin: float, span: float) -> dict[str, float]:
    return {
        "left": round(100 * (start - origin) / span, 3),
        "width": max(round(100 * (end - start) / span, 3), 0.4),
    }


def timeline(doc: dict[str, Any], attempts: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """Attempt bars, back-off gaps and the terminal or pending marker, as percentages of
    the span from acceptance to the last thing that happened (or the next due attempt)."""
    origin = doc["acceptedAt"]
    ends = [a["endedAt"] for a in attempts] + [e["at"] for e in doc["journal"]]
    last = max([origin, *ends])
    pending = doc["state"] != "done"
    if pending:
        last = max(last, doc["dueAt"], now)
    span = max(last - origin, 0.001)
    bars = [
        {**a, "n": i + 1, **_bar(a["startedAt"], a["endedAt"], origin, span)}
        for i, a in enumerate(attempts)
    ]
    gaps = [
        {
            "seconds": round(b["startedAt"] - a["endedAt"], 3),
            **_bar(a["endedAt"], b["startedAt"], origin, span),
        }
        for a, b in zip(attempts, attempts[1:], strict=False)
    ]
    marks = [
        {"at": e["at"], "kind": e["kind"], "outcome": e["outcome"], "detail": e["detail"],
         "left": _bar(e["at"], e["at"], origin, span)["left"]}
        for e in doc["journal"]
        if e["kind"] in ("final", "delivery")
    ]  # fmt: skip
    next_attempt = None
    if pending:
        next_attempt = {
            "at": doc["dueAt"],
            "inSeconds": round(max(doc["dueAt"] - now, 0.0), 3),
            "left": _bar(doc["dueAt"], doc["dueAt"], origin, span)["left"],
        }
    return {"start": origin, "end": last, "bars": bars, "gaps": gaps, "marks": marks,
            "nextAttempt": next_attempt}  # fmt: skip


async def _delivered_record(p: Platform, role: str, arn: str, message_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {"role": role, "target": arn, "messageId": message_id}
    queue = p.sqs.queue_from_arn(arn) if ":sqs:" in arn else None
    if queue is None:
        return found  # another kind of target, or a queue since deleted: no copy to show
    for m in await p.sqs.peek(queue, PEEK_LIMIT):
        if m.message_id == message_id:
            found["body"] = m.body
            found["attributes"] = {
                k: v.get("StringValue", v.get("BinaryValue")) for k, v in m.attributes.items()
            }
            found["queueName"] = queue.name
            break
    return found


async def journey_view(p: Platform, request_id: str) -> dict[str, Any]:
    doc = await journey.event_journey(p.async_queue.async_store, request_id)
    if doc is None:
        raise ResourceNotFoundException(f"No asynchronous event with request id {request_id}")
    attempts = [listed(e) for e in await p.journal.store.by_request(request_id)]
    now = p.clock.now()
    deliveries = []
    for entry in doc["journal"]:
        match = _DELIVERED.match(entry["detail"]) if entry["kind"] == "delivery" else None
        if match is not None:
            deliveries.append(await _delivered_record(p, *match.groups()))
    return {
        **doc,
        "attemptCount": doc["attempts"],  # the queue's count; "attempts" lists the runs
        "attempts": attempts,
        "timeline": timeline(doc, attempts, now),
        "deliveries": deliveries,
        "clock": clock_view(p),
    }

"""Dead-letter queues and failure destinations (S4): every SQS queue that some function
(DeadLetterConfig, OnFailure destination) or queue (RedrivePolicy) sends failures to, and
a peek into one, reading the store without receiving (a receive would change the message).
"""

from __future__ import annotations

import json
from typing import Any

from lambdalite.console.views import all_functions, clock_view
from lambdalite.platform import Platform

PEEK_LIMIT = 100


async def dead_letter_targets(p: Platform) -> dict[str, list[str]]:
    """Queue ARN -> what sends failures there ("function NAME (DLQ)", "queue NAME")."""
    targets: dict[str, list[str]] = {}
    for c in await all_functions(p):
        if c.dead_letter_target_arn and ":sqs:" in c.dead_letter_target_arn:
            targets.setdefault(c.dead_letter_target_arn, []).append(f"function {c.name} (DLQ)")
        configs, _ = await p.async_queue.async_store.list_configs(c.name, None, 50)
        for cfg in configs:
            if cfg.on_failure and ":sqs:" in cfg.on_failure:
                source = f"function {c.name}:{cfg.qualifier} (OnFailure)"
                targets.setdefault(cfg.on_failure, []).append(source)
    for name in p.sqs.names():
        redrive = p.sqs.queue(name).redrive
        if redrive is not None:
            targets.setdefault(redrive.dead_letter_arn, []).append(f"queue {name}")
    return targets


async def dlq_list(p: Platform) -> dict[str, Any]:
    rows = []
    for arn, sources in sorted((await dead_letter_targets(p)).items()):
        queue = p.sqs.queue_from_arn(arn)
        row: dict[str, Any] = {"arn": arn, "sources": sources, "exists": queue is not None}
        if queue is not None:
            attrs = await p.sqs.get_attributes(queue, ["ApproximateNumberOfMessages"])
            row["name"] = queue.name
            row["visibleMessages"] = int(attrs.get("ApproximateNumberOfMessages", "0"))
        rows.append(row)
    return {"queues": rows, "clock": clock_view(p)}


def _record(body: str) -> dict[str, Any] | None:
    """The invocation record a destination message carries, when it is one."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "requestContext" in doc else None


async def dlq_queue(p: Platform, name: str, limit: int = PEEK_LIMIT) -> dict[str, Any]:
    queue = p.sqs.queue(name)  # QueueDoesNotExist when there is none
    sources = (await dead_letter_targets(p)).get(queue.arn, [])
    messages = []
    for m in await p.sqs.peek(queue, limit):
        attributes = {
            k: v.get("StringValue", v.get("BinaryValue")) for k, v in m.attributes.items()
        }
        record = _record(m.body)
        request_id = attributes.get("RequestID") or (
            record["requestContext"].get("requestId") if record else None
        )
        messages.append(
            {
                "messageId": m.message_id,
                "body": m.body,
                "attributes": attributes,
                "sentAt": m.sent,
                "receiveCount": m.receive_count,
                "requestId": request_id,
                "record": record,
            }
        )
    attrs = await p.sqs.get_attributes(queue, ["ApproximateNumberOfMessages"])
    return {
        "name": queue.name,
        "arn": queue.arn,
        "sources": sources,
        "fromQueues": any(s.startswith("queue ") for s in sources),  # SQS can move them back
        "visibleMessages": int(attrs.get("ApproximateNumberOfMessages", "0")),
        "messages": messages,
        "clock": clock_view(p),
    }

"""Received messages as an event source mapping's poller sees them (directory.ConsumedMessage).

The attributes are the ones Lambda's SQS events carry, in the order AWS's events list them
(spec 4.4.1; FIFO adds SequenceNumber, MessageGroupId, MessageDeduplicationId).
"""

from __future__ import annotations

from lambdalite.services.directory import ConsumedMessage
from lambdalite.services.sqs import messages
from lambdalite.services.sqs.model import Received


def consumed(m: Received, sender_id: str) -> ConsumedMessage:
    trace = (m.system_attributes.get("AWSTraceHeader") or {}).get("StringValue")
    ordered: list[tuple[str, str | None]] = [
        ("ApproximateReceiveCount", str(m.receive_count)),
        ("AWSTraceHeader", trace),
        ("SentTimestamp", str(int(m.sent * 1000))),
        ("SequenceNumber", m.sequence),
        ("MessageGroupId", m.group_id),
        ("SenderId", sender_id),
        ("MessageDeduplicationId", m.dedup_id),
        ("ApproximateFirstReceiveTimestamp", str(int(m.first_receive * 1000))),
        ("DeadLetterQueueSourceArn", m.dead_letter_source),
    ]
    return ConsumedMessage(
        message_id=m.message_id,
        receipt_handle=m.receipt_handle,
        body=m.body,
        md5_of_body=m.md5_body,
        md5_of_message_attributes=messages.md5_of_attributes(m.attributes),
        attributes={k: v for k, v in ordered if v is not None},
        message_attributes=m.attributes,
        group_id=m.group_id,
    )

"""How services reach each other without importing each other (or api/).

SNS delivers to SQS queues and to functions; EventBridge targets SQS, SNS and functions;
asynchronous invocation sends records to all four. Each service implements the small
protocol below that the others need, and the Platform puts them in one ServiceDirectory.
`deliver` picks the service from a target ARN, which is what destinations, dead-letter
queues and rule targets hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambdalite.services.streams import StreamReader

# Message attributes travel in the SQS/SNS wire form:
# {"Name": {"DataType": "String" | "Number" | "Binary", "StringValue": ..., "BinaryValue": ...}}
MessageAttributes = Mapping[str, Mapping[str, Any]]


class QueueSender(Protocol):
    async def send_to_queue(
        self,
        queue_arn: str,
        body: str,
        *,
        attributes: MessageAttributes | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        """Commit a message to a queue; returns its MessageId. Raises if the queue is gone.
        `trace_header` becomes the message's AWSTraceHeader system attribute."""
        ...


class TopicPublisher(Protocol):
    async def publish_to_topic(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        attributes: MessageAttributes | None = None,
    ) -> str:
        """Commit a publication; returns its MessageId. Raises if the topic is gone."""
        ...


class EventPutter(Protocol):
    async def put_event(self, bus: str, entry: Mapping[str, Any]) -> str:
        """Put one PutEvents-style entry (Source, DetailType, Detail, Resources, ...) on a bus
        (name or ARN); returns the event id. Raises if the bus is gone."""
        ...


class AsyncInvoker(Protocol):
    async def invoke_async(
        self, function: str, payload: bytes, *, source: str = "", trace_header: str | None = None
    ) -> str:
        """Accept an asynchronous (Event) invocation of a function name or (qualified) ARN,
        committed durably; returns the request id. Raises if the function is unknown."""
        ...


class QueueView(Protocol):
    @property
    def fifo(self) -> bool: ...


class QueueLookup(Protocol):
    def queue_from_arn(self, arn: str) -> QueueView | None:
        """The queue an ARN names in this server, None when there is none."""
        ...


@dataclass(frozen=True, slots=True)
class ConsumedMessage:
    """A message an event source mapping received, with what its event record shows."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    md5_of_message_attributes: str | None
    attributes: Mapping[str, str]  # system attributes, in the order AWS's events list them
    message_attributes: MessageAttributes  # wire form; BinaryValue as bytes
    group_id: str | None  # FIFO queues


class QueueGone(LookupError):
    """The queue a consumer reads was deleted."""


class QueueConsumer(QueueLookup, Protocol):
    """What an SQS event source mapping's poller does to its queue (internal calls, not
    the wire API): receive with the queue's visibility timeout, delete, and learn when to
    look again. Each raises QueueGone when the queue no longer exists."""

    async def consume(self, queue_arn: str, limit: int, hold_s: int = 0) -> list[ConsumedMessage]:
        """Up to ``limit`` messages visible now (no wait: the caller waits on
        `queue_changed` and `next_visible`), received as ReceiveMessage does (receive
        count, redrive to the queue's dead-letter queue, FIFO group order), hidden for the
        queue's visibility timeout, or for ``hold_s`` + 30 s when the consumer may hold
        them longer than that (batching window + function timeout, spec 4.4.3)."""
        ...

    async def delete_consumed(self, queue_arn: str, receipt_handles: Sequence[str]) -> None: ...

    async def release_consumed(
        self, queue_arn: str, receipt_handles: Sequence[str], visibility_s: int
    ) -> None:
        """Make the messages visible again ``visibility_s`` from now."""
        ...

    def queue_changed(self, queue_arn: str) -> asyncio.Event:
        """Set at the next send, visibility change or deletion of the queue."""
        ...

    async def next_visible(self, queue_arn: str) -> float | None:
        """When the next delayed or in-flight message becomes visible (clock time)."""
        ...

    async def depth(self, queue_arn: str) -> int:
        """The queue's ApproximateNumberOfMessages (visible now)."""
        ...


class UnknownTarget(LookupError):
    """A target ARN names no service lambdalite serves."""


@dataclass
class ServiceDirectory:
    sqs: QueueSender | None = None
    sns: TopicPublisher | None = None
    events: EventPutter | None = None
    lambda_async: AsyncInvoker | None = None
    # What event source mappings read: queues, and each stream service's reader by the
    # service name in its ARNs ("kinesis"; DynamoDB Streams joins here).
    queues: QueueConsumer | None = None
    streams: dict[str, StreamReader[Any]] = field(default_factory=dict)

    async def deliver(
        self, target_arn: str, message: str, *, attributes: MessageAttributes | None = None
    ) -> str:
        """Send `message` to whatever `target_arn` names: queue, topic, bus or function."""
        service = target_arn.split(":", 3)[2] if target_arn.count(":") >= 3 else ""
        if service == "sqs" and self.sqs is not None:
            return await self.sqs.send_to_queue(target_arn, message, attributes=attributes)
        if service == "sns" and self.sns is not None:
            return await self.sns.publish_to_topic(target_arn, message, attributes=attributes)
        if service == "lambda" and self.lambda_async is not None:
            return await self.lambda_async.invoke_async(target_arn, message.encode())
        if service == "events" and self.events is not None:
            import json

            return await self.events.put_event(target_arn, json.loads(message))
        raise UnknownTarget(f"no service for {target_arn}")

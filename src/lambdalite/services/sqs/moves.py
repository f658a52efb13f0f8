"""Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask):
redrive a dead-letter queue back to the queues its messages came from, or to one queue.

A task moves messages in batches (receive, send to the destination, delete) as fast as the
store allows: MaxNumberOfMessagesPerSecond is kept and reported but does not pace the move,
so that a virtual clock never stalls it. Tasks live in memory: a restart ends a running
task (the messages not yet moved stay in the dead-letter queue, nothing is lost).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.services.sqs.errors import (
    InvalidParameterValue,
    ResourceNotFoundException,
    UnsupportedOperation,
)
from lambdalite.services.sqs.model import Queue, Received

if TYPE_CHECKING:
    from lambdalite.services.sqs.service import SqsService

BATCH = 10
HOLD_S = 30  # visibility while a batch is being moved
MAX_TASKS_KEPT = 10  # per source queue: ListMessageMoveTasks shows the last 10


@dataclass
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    started_ms: int
    to_move: int
    moved: int = 0
    status: str = "RUNNING"  # RUNNING | COMPLETED | CANCELLED | FAILED
    failure: str | None = None

    def entry(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "TaskHandle": self.handle,
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.destination_arn:
            doc["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            doc["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            doc["FailureReason"] = self.failure
        return doc


def _wire_attributes(stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Stored message attributes (binary values base64) as a send takes them."""
    out = {}
    for name, value in stored.items():
        value = dict(value)
        if isinstance(value.get("BinaryValue"), str):
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        out[name] = value
    return out


class MessageMoves(DueLoop):
    name = "sqs-message-moves"

    def __init__(self, clock: Clock, sqs: SqsService) -> None:
        super().__init__(clock)
        self._sqs = sqs
        self._tasks: dict[str, list[MoveTask]] = {}  # source ARN -> tasks, newest last

    def _queue(self, arn: str, member: str) -> Queue:
        queue = self._sqs.queue_from_arn(arn)
        if queue is None:
            raise ResourceNotFoundException(
                f"The resource that you specified for the {member} parameter doesn't exist."
            )
        return queue

    async def start_task(
        self, source_arn: str, destination_arn: str | None, rate: int | None
    ) -> str:
        source = self._queue(source_arn, "SourceArn")
        if destination_arn is not None:
            self._queue(destination_arn, "DestinationArn")
        if rate is not None and not 1 <= rate <= 500:
            raise InvalidParameterValue(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                "Reason: Must be >= 1 and <= 500, if provided."
            )
        if not await self._sqs.dead_letter_sources(source):
            raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
        tasks = self._tasks.setdefault(source_arn, [])
        if any(t.status == "RUNNING" for t in tasks):
            raise UnsupportedOperation(
                "There is already a task running. Only one active task is allowed for each "
                "source queue arn at a given time."
            )
        task_id = json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn})
        handle = base64.b64encode(task_id.encode()).decode()
        to_move = await self._sqs.depth(source_arn)
        started = int(self._clock.now() * 1000)
        tasks.append(MoveTask(handle, source_arn, destination_arn, rate, started, to_move))
        del tasks[:-MAX_TASKS_KEPT]
        self.wake()
        return handle

    def list_tasks(self, source_arn: str, max_results: int | None) -> list[dict[str, Any]]:
        self._queue(source_arn, "SourceArn")
        if max_results is not None and not 1 <= max_results <= 10:
            raise InvalidParameterValue(
                f"Value {max_results} for parameter MaxResults is invalid. "
                "Reason: Must be >= 1 and <= 10, if provided."
            )
        tasks = self._tasks.get(source_arn, [])[::-1]
        return [t.entry() for t in tasks[: max_results or 1]]

    def cancel_task(self, handle: str) -> int:
        for tasks in self._tasks.values():
            for task in tasks:
                if task.handle == handle:
                    if task.status != "RUNNING":
                        raise UnsupportedOperation("Only a task that is RUNNING can be cancelled.")
                    task.status = "CANCELLED"
                    return task.moved
        raise ResourceNotFoundException("Task does not exist.")

    async def run_due(self) -> float | None:
        for task in [t for tasks in self._tasks.values() for t in tasks if t.status == "RUNNING"]:
            try:
                await self._move(task)
            except Exception as exc:  # e.g. the source queue was deleted meanwhile
                task.status, task.failure = "FAILED", f"{type(exc).__name__}: {exc}"
        return None

    async def _move(self, task: MoveTask) -> None:
        while task.status == "RUNNING":
            source = self._queue(task.source_arn, "SourceArn")
            got = await self._sqs.receive(source, BATCH, HOLD_S, 0)
            if not got:
                task.status = "COMPLETED"
                return
            for m in got:
                await self._send_on(task, source, m)

    async def _send_on(self, task: MoveTask, source: Queue, m: Received) -> None:
        target_arn = task.destination_arn or m.dead_letter_source
        target = self._sqs.queue_from_arn(target_arn) if target_arn else None
        if target is None:
            await self._sqs.change_visibility(source, m.receipt_handle, 0)
            task.status = "FAILED"
            task.failure = f"Message {m.message_id} has no source queue to go back to."
            return
        entry: dict[str, Any] = {"MessageBody": m.body}
        if m.attributes:
            entry["MessageAttributes"] = _wire_attributes(m.attributes)
        if m.group_id is not None:
            entry["MessageGroupId"] = m.group_id
            entry["MessageDeduplicationId"] = m.dedup_id or m.message_id
        await self._sqs.send(target, [self._sqs.prepare(target, entry)])
        await self._sqs.delete(source, m.receipt_handle)
        task.moved += 1

    # A platform component of its own (the SQS service's loops are drained with it).
    def due_loops(self) -> Sequence[DueLoop]:
        return (self,)

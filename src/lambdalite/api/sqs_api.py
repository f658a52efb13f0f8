"""Amazon SQS on the wire: json 1.0 (``AmazonSQS.<Op>``, awsQueryCompatible) and the legacy
query protocol, both routed here by ``dispatch`` with params named as in botocore's model.

The handlers translate params to ``SqsService`` calls (services/sqs/service.py) and results
back; batch requests are checked here (entry count, ids, total size) and fail per entry
in ``Failed`` for anything that concerns one entry only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.api.http import endpoint_url
from lambdalite.errors import AwsError
from lambdalite.observe import trace
from lambdalite.platform import Platform
from lambdalite.services.sqs import SqsService
from lambdalite.services.sqs import messages as msgs
from lambdalite.services.sqs.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameterValue,
    TooManyEntriesInBatchRequest,
)
from lambdalite.services.sqs.model import MAX_BATCH, MAX_MESSAGE_BYTES, Queue, Received

_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
T = TypeVar("T")
Params = dict[str, Any]


def _sqs(p: Platform) -> SqsService:
    return p.sqs


def _queue(p: Platform, params: Params) -> Queue:
    return _sqs(p).queue_from_url(params["QueueUrl"])


def _url(p: Platform, queue: Queue) -> str:
    return _sqs(p).url(queue.name, endpoint_url(p.base_url))


def _bounded(params: Params, name: str, low: int, high: int, default: T) -> int | T:
    value = params.get(name)
    if value is None:
        return default
    if not low <= value <= high:
        raise InvalidParameterValue(
            f"Value {value} for parameter {name} is invalid. Reason: Must be >= {low} and "
            f"<= {high}, if provided."
        )
    return int(value)


# queues ---------------------------------------------------------------------------------


async def create_queue(p: Platform, params: Params) -> Params:
    queue = await _sqs(p).create_queue(
        params["QueueName"], params.get("Attributes") or {}, params.get("tags")
    )
    return {"QueueUrl": _url(p, queue)}


async def get_queue_url(p: Platform, params: Params) -> Params:
    owner = params.get("QueueOwnerAWSAccountId")
    name = params["QueueName"] if owner in (None, p.settings.account_id) else ""
    return {"QueueUrl": _url(p, _sqs(p).queue(name))}


async def delete_queue(p: Platform, params: Params) -> Params:
    await _sqs(p).delete_queue(_queue(p, params))
    return {}


def _page_token(params: Params) -> str:
    token = params.get("NextToken")
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, binascii.Error):
        raise InvalidParameterValue("Invalid NextToken value.") from None


async def list_queues(p: Platform, params: Params) -> Params:
    limit = _bounded(params, "MaxResults", 1, 1000, None)
    after = _page_token(params)
    names = [n for n in _sqs(p).names(params.get("QueueNamePrefix") or "") if n > after]
    page = names[: limit or 1000]
    out: Params = {}
    if page:
        out["QueueUrls"] = [_sqs(p).url(n, endpoint_url(p.base_url)) for n in page]
    if limit is not None and len(names) > len(page):
        out["NextToken"] = base64.urlsafe_b64encode(page[-1].encode()).decode()
    return out


async def get_queue_attributes(p: Platform, params: Params) -> Params:
    values = await _sqs(p).get_attributes(_queue(p, params), params.get("AttributeNames"))
    return {"Attributes": values} if values else {}


async def set_queue_attributes(p: Platform, params: Params) -> Params:
    await _sqs(p).set_attributes(_queue(p, params), params.get("Attributes") or {})
    return {}


async def purge_queue(p: Platform, params: Params) -> Params:
    await _sqs(p).purge(_queue(p, params))
    return {}


async def tag_queue(p: Platform, params: Params) -> Params:
    await _sqs(p).set_tags(_queue(p, params), params.get("Tags") or {}, ())
    return {}


async def untag_queue(p: Platform, params: Params) -> Params:
    await _sqs(p).set_tags(_queue(p, params), {}, params.get("TagKeys") or [])
    return {}


async def list_queue_tags(p: Platform, params: Params) -> Params:
    tags = _queue(p, params).tags
    return {"Tags": dict(tags)} if tags else {}


async def list_dead_letter_source_queues(p: Platform, params: Params) -> Params:
    names = await _sqs(p).dead_letter_sources(_queue(p, params))
    return {"queueUrls": [_sqs(p).url(n, endpoint_url(p.base_url)) for n in names]}


# sending --------------------------------------------------------------------------------


def _sent(sent: Any) -> Params:
    out = {"MessageId": sent.message_id, "MD5OfMessageBody": sent.md5_body}
    if sent.md5_attributes is not None:
        out["MD5OfMessageAttributes"] = sent.md5_attributes
    if sent.md5_system is not None:
        out["MD5OfMessageSystemAttributes"] = sent.md5_system
    if sent.sequence is not None:
        out["SequenceNumber"] = sent.sequence
    return out


async def send_message(p: Platform, params: Params) -> Params:
    queue = _queue(p, params)
    message = _sqs(p).prepare(queue, trace.with_system_attribute(params, trace.incoming.get()))
    return _sent((await _sqs(p).send(queue, [message]))[0])


def _check_batch(entries: Sequence[Params], kind: str) -> None:
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {kind} in the request.")
    if len(entries) > MAX_BATCH:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}."
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry["Id"]
        if not _ENTRY_ID.match(entry_id):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


def _failed(entry_id: str, exc: AwsError) -> Params:
    return {"Id": entry_id, "SenderFault": True, "Code": exc.wire_code, "Message": exc.message}


async def send_message_batch(p: Platform, params: Params) -> Params:
    queue = _queue(p, params)
    entries = params["Entries"]
    _check_batch(entries, "SendMessageBatchRequestEntry")
    total = sum(
        msgs.size_of(e.get("MessageBody") or "", e.get("MessageAttributes") or {}) for e in entries
    )
    if total > MAX_MESSAGE_BYTES:
        raise BatchRequestTooLong(
            f"Batch requests cannot be longer than {MAX_MESSAGE_BYTES} bytes. You have sent "
            f"{total} bytes."
        )
    _sqs(p).check_batch(queue, entries)
    failed: list[Params] = []
    ready: list[tuple[str, Any]] = []
    header = trace.incoming.get()
    for entry in entries:
        try:
            ready.append(
                (entry["Id"], _sqs(p).prepare(queue, trace.with_system_attribute(entry, header)))
            )
        except AwsError as exc:
            failed.append(_failed(entry["Id"], exc))
    sent = await _sqs(p).send(queue, [m for _, m in ready]) if ready else []
    successful = [{"Id": i, **_sent(s)} for (i, _), s in zip(ready, sent, strict=True)]
    return {"Successful": successful, "Failed": failed}


# receiving ------------------------------------------------------------------------------


def _system_attributes(p: Platform, m: Received, wanted: set[str]) -> dict[str, str]:
    values = {
        "SenderId": p.settings.account_id,
        "SentTimestamp": str(int(m.sent * 1000)),
        "ApproximateReceiveCount": str(m.receive_count),
        "ApproximateFirstReceiveTimestamp": str(int(m.first_receive * 1000)),
        "MessageGroupId": m.group_id,
        "MessageDeduplicationId": m.dedup_id,
        "SequenceNumber": m.sequence,
        "DeadLetterQueueSourceArn": m.dead_letter_source,
        "AWSTraceHeader": (m.system_attributes.get("AWSTraceHeader") or {}).get("StringValue"),
    }
    every = "All" in wanted
    return {k: v for k, v in values.items() if v is not None and (every or k in wanted)}


def _message(p: Platform, m: Received, wanted: set[str], names: list[str] | None) -> Params:
    out: Params = {
        "MessageId": m.message_id,
        "ReceiptHandle": m.receipt_handle,
        "MD5OfBody": m.md5_body,
        "Body": m.body,
    }
    system = _system_attributes(p, m, wanted)
    if system:
        out["Attributes"] = system
    chosen = msgs.select_attributes(m.attributes, names)
    if chosen:
        out["MessageAttributes"] = chosen
        out["MD5OfMessageAttributes"] = msgs.md5_of_attributes(chosen)
    return out


async def receive_message(p: Platform, params: Params) -> Params:
    queue = _queue(p, params)
    limit = _bounded(params, "MaxNumberOfMessages", 1, 10, 1)
    visibility = _bounded(params, "VisibilityTimeout", 0, 43_200, None)
    default_wait = queue.number("ReceiveMessageWaitTimeSeconds")
    wait = _bounded(params, "WaitTimeSeconds", 0, 20, default_wait)
    received = await _sqs(p).receive(queue, limit, visibility, wait)
    wanted = {
        *(params.get("AttributeNames") or []),
        *(params.get("MessageSystemAttributeNames") or []),
    }
    names = params.get("MessageAttributeNames")
    return {"Messages": [_message(p, m, wanted, names) for m in received]} if received else {}


# receipts -------------------------------------------------------------------------------


async def delete_message(p: Platform, params: Params) -> Params:
    await _sqs(p).delete(_queue(p, params), params["ReceiptHandle"])
    return {}


def _batch_result(entries: Sequence[Params], errors: Sequence[Exception | None]) -> Params:
    successful = [{"Id": e["Id"]} for e, err in zip(entries, errors, strict=True) if err is None]
    failed = [
        _failed(e["Id"], err)
        for e, err in zip(entries, errors, strict=True)
        if isinstance(err, AwsError)
    ]
    return {"Successful": successful, "Failed": failed}


async def delete_message_batch(p: Platform, params: Params) -> Params:
    queue = _queue(p, params)
    entries = params["Entries"]
    _check_batch(entries, "DeleteMessageBatchRequestEntry")
    errors = await _sqs(p).delete_many(queue, [e["ReceiptHandle"] for e in entries])
    return _batch_result(entries, errors)


async def change_message_visibility(p: Platform, params: Params) -> Params:
    queue = _queue(p, params)
    await _sqs(p).change_visibility(queue, params["ReceiptHandle"], params["VisibilityTimeout"])
    return {}


async def change_message_visibility_batch(p: Platform, params: Params) -> Params:
    queue = _queue(p, params)
    entries = params["Entries"]
    _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
    changes = [(e["ReceiptHandle"], int(e.get("VisibilityTimeout") or 0)) for e in entries]
    return _batch_result(entries, await _sqs(p).change_visibility_many(queue, changes))


async def start_message_move_task(p: Platform, params: Params) -> Params:
    handle = await p.sqs_moves.start_task(
        params["SourceArn"],
        params.get("DestinationArn"),
        params.get("MaxNumberOfMessagesPerSecond"),
    )
    return {"TaskHandle": handle}


async def list_message_move_tasks(p: Platform, params: Params) -> Params:
    return {"Results": p.sqs_moves.list_tasks(params["SourceArn"], params.get("MaxResults"))}


async def cancel_message_move_task(p: Platform, params: Params) -> Params:
    return {"ApproximateNumberOfMessagesMoved": p.sqs_moves.cancel_task(params["TaskHandle"])}


OPERATIONS: dict[str, Operation] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "DeleteQueue": delete_queue,
    "ListQueues": list_queues,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
    "StartMessageMoveTask": start_message_move_task,
    "ListMessageMoveTasks": list_message_move_tasks,
    "CancelMessageMoveTask": cancel_message_move_task,
}
SERVICE = ServiceSpec("sqs", "json", OPERATIONS)

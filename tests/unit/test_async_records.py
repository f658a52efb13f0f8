"""Invocation records, dead-letter attributes and the effect steps (spec 3.5, 3.6)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from lambdalite.asyncq import records
from lambdalite.asyncq.effects import Round, plan
from lambdalite.asyncq.model import Complete, Journal, Outbox, QueuedEvent, Reschedule
from lambdalite.asyncq.policy import Condition, Fail, Outcome, Retry, Succeed
from lambdalite.asyncq.records import Response
from lambdalite.store.sqlite.groupcommit import GroupCommitter

ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST"
ERROR_DOC = b'{"errorMessage": "boom", "errorType": "ValueError", "requestId": "r1"}'


def _event(payload: bytes = b'{"a": 1}', attempts: int = 0) -> QueuedEvent:
    return QueuedEvent(
        id=1,
        request_id="r1",
        function_name="fn",
        qualifier=None,
        payload=payload,
        source="",
        enqueued_at=0.0,
        attempts=attempts,
        throttle_retries=0,
        last_response=None,
    )


def test_failure_record_has_every_field_in_order() -> None:
    record = records.invocation_record(
        request_id="r1",
        function_arn=ARN,
        condition=Condition.RETRIES_EXHAUSTED,
        invoke_count=3,
        request_payload=b'{"a": 1}',
        response=Response("$LATEST", "Unhandled", ERROR_DOC),
        timestamp=1574000000.5,
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-17T14:13:20.500Z",
        "requestContext": {
            "requestId": "r1",
            "functionArn": ARN,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"a": 1},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": json.loads(ERROR_DOC),
    }
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]


def test_success_record_has_no_function_error_and_zero_reserved_has_no_response() -> None:
    ok = records.invocation_record(
        request_id="r",
        function_arn=ARN,
        condition=Condition.SUCCESS,
        invoke_count=1,
        request_payload=b"{}",
        response=Response("$LATEST", None, b'"hi"'),
        timestamp=0,
    )
    assert ok["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert ok["responsePayload"] == "hi"
    zero = records.invocation_record(
        request_id="r",
        function_arn=ARN,
        condition=Condition.ZERO_RESERVED_CONCURRENCY,
        invoke_count=0,
        request_payload=b"{}",
        response=None,
        timestamp=0,
    )
    assert set(zero) == {"version", "timestamp", "requestContext", "requestPayload"}


@pytest.mark.parametrize(
    ("target", "size", "keeps_payloads"),
    [
        ("arn:aws:sns:us-east-1:000000000000:t", 200_000, True),
        ("arn:aws:sns:us-east-1:000000000000:t", 300_000, False),
        ("arn:aws:events:us-east-1:000000000000:event-bus/b", 300_000, False),
        ("arn:aws:sqs:us-east-1:000000000000:q", 300_000, True),
        ("arn:aws:lambda:us-east-1:000000000000:function:f", 1_100_000, False),
    ],
)
def test_oversized_records_lose_their_payloads(
    target: str, size: int, keeps_payloads: bool
) -> None:
    record = records.invocation_record(
        request_id="r",
        function_arn=ARN,
        condition=Condition.SUCCESS,
        invoke_count=1,
        request_payload=json.dumps({"x": "y" * size}).encode(),
        response=Response("$LATEST", None, b"1"),
        timestamp=0,
    )
    body = json.loads(records.record_body(record, target))
    assert ("requestPayload" in body) is keeps_payloads
    assert ("responsePayload" in body) is keeps_payloads
    assert body["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}


def test_dead_letter_attributes() -> None:
    attributes = records.dead_letter_attributes(
        "r1", Response("$LATEST", "Unhandled", ERROR_DOC), (429, "Rate Exceeded.")
    )
    assert attributes == {
        "RequestID": {"DataType": "String", "StringValue": "r1"},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "boom"},
    }
    long = Response("$LATEST", "Unhandled", json.dumps({"errorMessage": "é" * 2000}).encode())
    message = records.dead_letter_attributes("r", long, (0, ""))["ErrorMessage"]["StringValue"]
    assert len(message.encode()) <= 1024 and message.startswith("éé")


def _round(decision: object, **kw: object) -> Round:
    base: dict[str, object] = {
        "event": _event(),
        "decision": decision,
        "outcome": Outcome.FUNCTION_ERROR,
        "response": Response("$LATEST", "Unhandled", ERROR_DOC),
        "error": "ValueError: boom",
        "function_arn": ARN,
        "on_success": "arn:aws:sqs:us-east-1:000000000000:ok",
        "on_failure": "arn:aws:sqs:us-east-1:000000000000:bad",
        "dead_letter_arn": "arn:aws:sns:us-east-1:000000000000:dlq",
        "now": 100.0,
    }
    base.update(kw)
    return Round(**base)  # type: ignore[arg-type]


def test_retry_plans_only_a_journal_line_and_a_new_due_time() -> None:
    effects = plan(_round(Retry(160.0, 1, 0)))
    kinds = [type(e) for e in effects]
    assert kinds == [Journal, Reschedule, Journal]
    assert effects[1] == Reschedule(160.0, 1, 0, _round(None).response)


def test_failure_goes_to_on_failure_and_dead_letter_and_completes() -> None:
    effects = plan(_round(Fail(Condition.RETRIES_EXHAUSTED, 3)))
    outboxes = [e for e in effects if isinstance(e, Outbox)]
    assert [(o.role, o.target_arn) for o in outboxes] == [
        ("OnFailure", "arn:aws:sqs:us-east-1:000000000000:bad"),
        ("DeadLetter", "arn:aws:sns:us-east-1:000000000000:dlq"),
    ]
    assert json.loads(outboxes[0].body)["requestContext"]["condition"] == "RetriesExhausted"
    assert outboxes[1].body == '{"a": 1}'  # the event alone
    assert Complete("RetriesExhausted", 3) in effects


def test_success_goes_to_on_success_only() -> None:
    effects = plan(_round(Succeed(1), outcome=Outcome.SUCCESS, response=Response("1", None, b"7")))
    outboxes = [e for e in effects if isinstance(e, Outbox)]
    assert [o.role for o in outboxes] == ["OnSuccess"]
    record = json.loads(outboxes[0].body)
    assert record["responsePayload"] == 7 and record["requestContext"]["condition"] == "Success"


def test_zero_reserved_record_has_no_response_even_after_earlier_runs() -> None:
    d = Fail(Condition.ZERO_RESERVED_CONCURRENCY, 0)
    effects = plan(_round(d, outcome=None, dead_letter_arn=None))
    (outbox,) = [e for e in effects if isinstance(e, Outbox)]
    record = json.loads(outbox.body)
    assert (
        "responseContext" not in record and record["requestContext"]["approximateInvokeCount"] == 0
    )
    assert not any(isinstance(e, Journal) and e.kind == "attempt" for e in effects)


def test_nothing_configured_discards_with_a_journal_line() -> None:
    effects = plan(
        _round(Fail(Condition.EVENT_AGE_EXCEEDED, 1), on_failure=None, dead_letter_arn=None)
    )
    assert not any(isinstance(e, Outbox) for e in effects)
    assert Journal("final", "EventAgeExceeded", "no destination: discarded") in effects


def test_group_commit_shares_one_transaction_per_loop_turn() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("CREATE TABLE t (x INTEGER UNIQUE)")
    committer = GroupCommitter(lambda: db)

    async def main() -> None:
        await asyncio.gather(
            *(committer.execute([("INSERT INTO t VALUES (?)", (i,))]) for i in range(50))
        )
        assert committer.commits == 1 and committer.batches == 50
        # a bad batch fails alone; its neighbours commit
        good = committer.submit([("INSERT INTO t VALUES (?)", (100,))])
        bad = committer.submit([("INSERT INTO t VALUES (?)", (1,))])
        await good
        with pytest.raises(Exception, match="UNIQUE"):
            await bad

    asyncio.run(main())
    assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 51
    db.close()  # 3.13 warns about connections left to the garbage collector


def test_journal_lines_are_json_for_any_detail_and_the_tail_cache_stays_bounded() -> None:
    from lambdalite.asyncq import journey

    entries = [
        Journal("attempt", "Success"),
        Journal("attempt", "FunctionError", 'Boom: "quoted"\nnew line \\ é 😀'),
        Journal("final", "RetriesExhausted", "OnFailure arn:aws:sqs:us-east-1:000000000000:q"),
    ]
    for at in (1.5, 1733030000.123456):
        for entry in entries:
            line = journey.journal_line(at, entry)
            assert line.endswith("\n")
            assert json.loads(line) == [at, entry.kind, entry.outcome, entry.detail]
    for i in range(3000):  # distinct error details must not grow the cache without bound
        journey.journal_line(2.0, Journal("attempt", "FunctionError", f"error {i}"))
    assert len(journey._JOURNAL_TAILS) <= 1024
    assert json.loads(journey.journal_line(3.0, entries[1]))[3] == entries[1].detail

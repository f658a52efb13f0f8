"""A mapping's destination records are never lost: a stream's on-failure record waits in
the outbox for a destination that is missing when it falls due, and survives a kill -9
between the checkpoint that skips its batch and its send (both are one transaction)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, start_server, stop_server
from tests.acceptance.test_esm_kinesis import ACCOUNT, REGION, Fn, mapping, new_stream, put

LATE_QUEUE = "late-dlq"
LATE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{LATE_QUEUE}"


def _give_up_on_a_batch(srv: Server, tmp_path: Path) -> Fn:
    """A batch that fails until its retries run out, its on-failure queue not there yet."""
    lam, kinesis = srv.client("lambda"), srv.client("kinesis")
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    put(kinesis, arn, "a", "poison")
    mapping(
        lam, fn, arn, BatchSize=2, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": LATE_ARN}},
    )  # fmt: skip
    drain(srv.endpoint)
    for _ in range(2):
        advance(srv.endpoint, 60)
        drain(srv.endpoint)
    assert fn.datas() == [["a", "poison"]] * 2
    return fn


def _records_once_the_queue_exists(srv: Server) -> list[dict[str, Any]]:
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName=LATE_QUEUE)["QueueUrl"]
    advance(srv.endpoint, 600)  # past the outbox's backoff
    drain(srv.endpoint)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    messages = got.get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.timeout(120)
def test_a_missing_on_failure_queue_gets_the_record_once_it_exists(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        fn = _give_up_on_a_batch(srv, tmp_path)
        advance(srv.endpoint, 30)  # a few failed sends to the missing queue
        drain(srv.endpoint)
        (record,) = _records_once_the_queue_exists(srv)
        assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert record["KinesisBatchInfo"]["batchSize"] == 2
        assert _records_once_the_queue_exists(srv) == []  # sent once
        assert fn.datas() == [["a", "poison"]] * 2
    finally:
        stop_server(srv)


@pytest.mark.timeout(120)
def test_kill_9_after_retries_are_exhausted_still_delivers_the_record(tmp_path: Path) -> None:
    """The checkpoint has moved past the batch when the server dies; the record it owes was
    committed with it, so the restarted server sends it (and does not run the batch again)."""
    srv = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        fn = _give_up_on_a_batch(srv, tmp_path)
        srv.process.kill()  # SIGKILL: the record is still owed, nothing is flushed
        srv.process.wait()
        srv = start_server(tmp_path, "--no-example", "--clock", "virtual")
        drain(srv.endpoint)
        (record,) = _records_once_the_queue_exists(srv)
        assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 2
        assert fn.datas() == [["a", "poison"]] * 2  # past the checkpoint: not run again
    finally:
        stop_server(srv)

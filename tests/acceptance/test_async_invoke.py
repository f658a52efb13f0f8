"""Event invocations against a real server on a virtual clock: accept, retries, event age,
reserved concurrency 0, destinations, dead-letter queues, and the journey CLI (spec 3)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from lambdalite import testing
from tests.acceptance.conftest import Server, create, start_server, stop_server

FAIL = "def handler(event, context):\n    raise ValueError('boom')\n"
ECHO = "def handler(event, context):\n    return {'got': event}\n"
# Appends each event it receives to $OUT/<its own request id>.json.
RECORDER = """
import json, os
def handler(event, context):
    path = os.path.join(os.environ["OUT"], context.aws_request_id + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(event, f)
    os.replace(path + ".tmp", path)
"""
SLOW = "import time\ndef handler(event, context):\n    time.sleep(0.3)\n    return 1\n"


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("async"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def vlam(vserver: Server) -> Any:
    return vserver.client("lambda")


def advance(server: Server, seconds: float) -> None:
    testing.advance(server.endpoint, seconds)


def drained(server: Server, request_id: str) -> dict[str, Any]:
    """The event's journey once everything due by the server's clock is settled."""
    testing.drain(server.endpoint)
    return journey(server, request_id)


def settled(server: Server, request_id: str) -> dict[str, Any]:
    """The event's journey after a drain, which must find it done and owing no delivery."""
    testing.drain(server.endpoint)
    doc = finished(server, request_id)
    assert doc is not None, journey(server, request_id)
    return doc


def delivered(server: Server, recorder: Recorder, request_id: str) -> dict[str, Any]:
    """The record the recorder got for the event, after a drain (which covers the
    delivery, the recorder's own asynchronous invocation and its write)."""
    testing.drain(server.endpoint)
    record = recorder.record_for(request_id)
    assert record is not None, journey(server, request_id)
    return record


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """A bounded wait on a state that is not due work, so no drain could wait for it (an
    event that is running now); due work is waited for with `testing.drain`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def journey(server: Server, request_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.endpoint}/_lambdalite/async-events", params={"request-id": request_id})
    r.raise_for_status()
    return dict(r.json())


def finished(server: Server, request_id: str) -> dict[str, Any] | None:
    doc = journey(server, request_id)
    done = doc["state"] == "done" and not doc["pendingDeliveries"]
    return doc if done else None


def event(lam: Any, name: str, payload: Any = None, **kw: Any) -> str:
    body = json.dumps({} if payload is None else payload).encode()
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=body, **kw)
    assert r["StatusCode"] == 202
    return str(r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])


class Recorder:
    """A function that writes every record it receives to a directory."""

    def __init__(self, lam: Any, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.name = create(lam, RECORDER, Environment={"Variables": {"OUT": str(directory)}})
        self.arn = lam.get_function(FunctionName=self.name)["Configuration"]["FunctionArn"]

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in sorted(self.dir.glob("*.json"))]

    def record_for(self, request_id: str) -> dict[str, Any] | None:
        for record in self.records():
            if record.get("requestContext", {}).get("requestId") == request_id:
                return record
        return None


@pytest.fixture(scope="module")
def recorder(vlam: Any, tmp_path_factory: pytest.TempPathFactory) -> Recorder:
    return Recorder(vlam, tmp_path_factory.mktemp("records"))


# accept -------------------------------------------------------------------------------


def test_accept_answers_202_with_empty_body_and_request_id(vserver: Server, vlam: Any) -> None:
    name = create(vlam, ECHO)
    r = httpx.post(
        f"{vserver.endpoint}/2015-03-31/functions/{name}/invocations",
        headers={"X-Amz-Invocation-Type": "Event"},
        content=b'{"a": 1}',
    )
    assert r.status_code == 202 and r.content == b""
    assert "x-amz-executed-version" not in r.headers
    doc = drained(vserver, r.headers["x-amzn-requestid"])
    assert (doc["state"], doc["condition"], doc["attempts"]) == ("done", "Success", 1)


def test_payload_limit_is_one_megabyte(vlam: Any) -> None:
    name = create(vlam, ECHO)
    exact = b'"' + b"x" * (1_048_576 - 2) + b'"'
    assert (
        vlam.invoke(FunctionName=name, InvocationType="Event", Payload=exact)["StatusCode"] == 202
    )
    with pytest.raises(ClientError) as info:
        vlam.invoke(FunctionName=name, InvocationType="Event", Payload=exact + b" ")
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["Error"]["Message"] == (
        "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    )


def test_bad_json_and_unknown_function_are_refused(vlam: Any) -> None:
    name = create(vlam, ECHO)
    with pytest.raises(vlam.exceptions.InvalidRequestContentException):
        vlam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{nope")
    with pytest.raises(vlam.exceptions.ResourceNotFoundException):
        vlam.invoke(FunctionName="no-such-fn", InvocationType="Event", Payload=b"{}")


def test_legacy_invoke_async(vserver: Server, vlam: Any) -> None:
    name = create(vlam, ECHO)
    r = vlam.invoke_async(FunctionName=name, InvokeArgs=b'{"legacy": true}')
    assert r["Status"] == 202
    with pytest.raises(ClientError) as info:
        vlam.invoke_async(FunctionName=name, InvokeArgs=b'"' + b"x" * 262_144 + b'"')
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


# retries, age, reserved concurrency -----------------------------------------------------


def test_three_attempts_a_minute_then_two_apart_then_on_failure(
    vserver: Server, vlam: Any, recorder: Recorder
) -> None:
    name = create(vlam, FAIL)
    vlam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": recorder.arn}}
    )
    started = time.monotonic()
    rid = event(vlam, name, {"order": 7})
    assert drained(vserver, rid)["attempts"] == 1
    advance(vserver, 60)
    assert drained(vserver, rid)["attempts"] == 2
    advance(vserver, 120)
    record = delivered(vserver, recorder, rid)
    assert time.monotonic() - started < 10
    attempts = [e for e in journey(vserver, rid)["journal"] if e["kind"] == "attempt"]
    gaps = [round(b["at"] - a["at"]) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == [60, 120]
    arn = vlam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": f"{arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["version"] == "1.0" and record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "boom"
    assert record["timestamp"].endswith("Z") and len(record["timestamp"]) == 24


def test_success_goes_to_on_success(vserver: Server, vlam: Any, recorder: Recorder) -> None:
    name = create(vlam, ECHO)
    vlam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": recorder.arn}}
    )
    rid = event(vlam, name, {"k": "v"})
    record = delivered(vserver, recorder, rid)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"got": {"k": "v"}}


@pytest.mark.parametrize(("max_age", "count"), [(60, 1), (90, 2)])
def test_event_age_look_ahead(
    vserver: Server, vlam: Any, recorder: Recorder, max_age: int, count: int
) -> None:
    name = create(vlam, FAIL)
    vlam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumEventAgeInSeconds=max_age,
        DestinationConfig={"OnFailure": {"Destination": recorder.arn}},
    )
    rid = event(vlam, name)
    assert drained(vserver, rid)["attempts"] == 1
    if count == 2:
        advance(vserver, 60)
    record = delivered(vserver, recorder, rid)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == count


def test_max_retry_attempts_zero(vserver: Server, vlam: Any, recorder: Recorder) -> None:
    name = create(vlam, FAIL)
    vlam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": recorder.arn}},
    )
    rid = event(vlam, name)
    record = delivered(vserver, recorder, rid)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_zero_reserved_concurrency(vserver: Server, vlam: Any, recorder: Recorder) -> None:
    name = create(vlam, ECHO)
    vlam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    vlam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": recorder.arn}}
    )
    rid = event(vlam, name, {})
    record = delivered(vserver, recorder, rid)
    assert record["requestContext"]["condition"] == "ZeroReservedConcurrency"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert set(record) == {"version", "timestamp", "requestContext", "requestPayload"}


def test_throttled_events_back_off_without_counting(vserver: Server, vlam: Any) -> None:
    name = create(vlam, SLOW)
    vlam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    ids = [event(vlam, name) for _ in range(3)]

    for _ in range(30):  # each throttled retry is due a second or so later
        testing.drain(vserver.endpoint)
        if all(journey(vserver, rid)["state"] == "done" for rid in ids):
            break
        advance(vserver, 1)
    docs = [journey(vserver, rid) for rid in ids]
    assert all(d["condition"] == "Success" and d["attempts"] == 1 for d in docs)
    outcomes = [e["outcome"] for d in docs for e in d["journal"] if e["kind"] == "attempt"]
    assert "Throttled" in outcomes


def test_alias_config_applies_to_alias_invokes(
    vserver: Server, vlam: Any, recorder: Recorder
) -> None:
    name = create(vlam, ECHO)
    vlam.publish_version(FunctionName=name)
    vlam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    vlam.put_function_event_invoke_config(
        FunctionName=name,
        Qualifier="live",
        DestinationConfig={"OnSuccess": {"Destination": recorder.arn}},
    )
    rid = event(vlam, name, {"via": "alias"}, Qualifier="live")
    record = delivered(vserver, recorder, rid)
    assert record["requestContext"]["functionArn"].endswith(f"{name}:1")
    assert record["responseContext"]["executedVersion"] == "1"
    unqualified = event(vlam, name)  # $LATEST has no config: no record
    settled(vserver, unqualified)
    assert recorder.record_for(unqualified) is None


# dead-letter queue (needs SQS) ----------------------------------------------------------


def _sqs_or_skip(server: Server) -> Any:
    sqs = server.client("sqs")
    try:
        sqs.list_queues()
    except ClientError as exc:
        pytest.skip(f"SQS is not served by this build yet: {exc}")
    return sqs


def test_dead_letter_queue_gets_the_event_alone(vserver: Server, vlam: Any) -> None:
    sqs = _sqs_or_skip(vserver)
    url = sqs.create_queue(QueueName="async-dlq")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = create(vlam, FAIL, DeadLetterConfig={"TargetArn": qarn})
    vlam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    rid = event(vlam, name, {"raise_error": 1})
    settled(vserver, rid)
    messages = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages", [])
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"]) == {"raise_error": 1}
    assert messages[0]["MessageAttributes"] == {
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "boom"},
        "RequestID": {"DataType": "String", "StringValue": rid},
    }


def test_unreachable_destination_is_retried_and_counted(vserver: Server, vlam: Any) -> None:
    name = create(vlam, ECHO)
    bus = "arn:aws:events:us-east-1:000000000000:event-bus/not-here"
    vlam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": bus}}
    )
    rid = event(vlam, name)
    assert drained(vserver, rid)["pendingDeliveries"]  # the first delivery failed
    advance(vserver, 2)
    doc = drained(vserver, rid)
    assert doc["pendingDeliveries"][0]["attempts"] >= 2
    assert doc["condition"] == "Success"
    retries = [e for e in doc["journal"] if e["outcome"] == "DeliveryRetry"]
    assert retries and bus in retries[0]["detail"]


# the journey CLI --------------------------------------------------------------------------


def test_events_cli_lists_and_shows_a_journey(vserver: Server, vlam: Any) -> None:
    name = create(vlam, FAIL)
    vlam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    rid = event(vlam, name)
    assert drained(vserver, rid)["attempts"] == 1
    advance(vserver, 60)
    assert drained(vserver, rid)["state"] == "done"
    env = {"LAMBDALITE_ENDPOINT": vserver.endpoint, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "lambdalite.cli.main", "events", name]
    listing = subprocess.run(cli, capture_output=True, text=True, env=env, check=True).stdout
    assert rid in listing and "RetriesExhausted" in listing
    detail = subprocess.run(
        [*cli, "--request-id", rid], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert detail.count("FunctionError") == 2 and "ValueError: boom" in detail
    assert "final     RetriesExhausted after 2 attempt(s)" in detail
    assert "discarded" in detail
    missing = subprocess.run(
        [*cli, "--request-id", "nope"], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 1 and "No asynchronous event" in missing.stderr


def test_events_cli_shows_an_event_that_is_running(vserver: Server, vlam: Any) -> None:
    source = "import time\ndef handler(event, context):\n    time.sleep(4)\n"  # outlasts 2 CLI runs
    name = create(vlam, source, Timeout=10)
    rid = event(vlam, name)
    wait_for(lambda: journey(vserver, rid)["state"] == "running")
    env = {"LAMBDALITE_ENDPOINT": vserver.endpoint, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "lambdalite.cli.main", "events", name]
    detail = subprocess.run(
        [*cli, "--request-id", rid], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "running   attempt 1 in progress" in detail
    listing = subprocess.run(cli, capture_output=True, text=True, env=env, check=True).stdout
    assert any(rid in line and "running" in line for line in listing.splitlines())
    assert drained(vserver, rid)["condition"] == "Success"

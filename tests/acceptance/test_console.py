"""The console without a browser: its JSON twins and pages from a real server, the CSRF and
host guards, the purge confirmation, re-invoke, the virtual clock, the live stream, and bad
input answered with AWS's errors while the server keeps serving."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest

from lambdalite.testing import ROLE, Server, drain, start_server, stop_server, zip_source

UI = "/_lambdalite/ui"
API = "/_lambdalite/api"
_names = count()


@pytest.fixture(scope="module")
def virtual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("console"), "--clock", "virtual", "--no-example")
    yield srv
    stop_server(srv)


def _create(server: Server, source: str, **config: Any) -> str:
    lam = server.client("lambda")
    name = f"con-{os.getpid()}-{next(_names)}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_source(source)}, **config,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


def _token(server: Server) -> str:
    page = httpx.get(f"{server.endpoint}{UI}/").text
    match = re.search(r'data-csrf="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _post(server: Server, action: str, form: dict[str, str], **headers: str) -> httpx.Response:
    base = {"origin": server.endpoint, "x-csrf-token": _token(server)}
    base.update(headers)
    return httpx.post(f"{server.endpoint}{UI}/actions/{action}", data=form, headers=base)


def test_twins_show_what_was_invoked(virtual: Server) -> None:
    name = _create(virtual, "def handler(e, c):\n    print('seen', e['n'])\n    return e\n")
    lam = virtual.client("lambda")
    ids = [
        lam.invoke(FunctionName=name, Payload=json.dumps({"n": n}))["ResponseMetadata"]["RequestId"]
        for n in range(3)
    ]
    drain(virtual.endpoint)
    overview = httpx.get(f"{virtual.endpoint}{API}/overview").json()
    (row,) = [f for f in overview["functions"] if f["name"] == name]
    assert (row["invocations"], row["errors"], row["throttles"]) == (3, 0, 0)

    listed = httpx.get(f"{virtual.endpoint}{API}/invocations", params={"function": name}).json()
    assert [i["requestId"] for i in listed["invocations"]] == ids[::-1]
    assert [i["cold"] for i in listed["invocations"]] == [False, False, True]

    (run,) = httpx.get(f"{virtual.endpoint}{API}/invocations/{ids[1]}").json()["runs"]
    assert json.loads(run["payload"]["text"]) == {"n": 1} and run["outcome"] == "Success"
    assert [line["message"] for line in run["logs"]][1] == "seen 1\n"
    assert run["logs"][0]["message"].startswith(f"START RequestId: {ids[1]}")

    detail = httpx.get(f"{virtual.endpoint}{API}/functions/{name}").json()
    assert detail["configuration"]["functionName"] == name
    page = httpx.get(f"{virtual.endpoint}{UI}/functions/{name}")
    assert page.status_code == 200 and ids[2] in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_actions_need_the_token_and_the_same_origin(virtual: Server) -> None:
    url = f"{virtual.endpoint}{UI}/actions/clock"
    token = _token(virtual)
    same = {"origin": virtual.endpoint}
    assert httpx.post(url, data={"advance": "1"}, headers=same).status_code == 403
    wrong = {**same, "x-csrf-token": "nope"}
    assert httpx.post(url, data={"advance": "1"}, headers=wrong).status_code == 403
    cross = {"origin": "http://evil.example", "x-csrf-token": token}
    assert httpx.post(url, data={"advance": "1"}, headers=cross).status_code == 403
    neither = {"x-csrf-token": token}  # no Origin, no Referer
    assert httpx.post(url, data={"advance": "1"}, headers=neither).status_code == 403
    before = httpx.get(f"{virtual.endpoint}{API}/clock").json()["clock"]["now"]
    form_token = {"advance": "5", "csrf": token}
    assert httpx.post(url, data=form_token, headers=same).status_code == 200
    after = httpx.get(f"{virtual.endpoint}{API}/clock").json()["clock"]["now"]
    assert after == pytest.approx(before + 5, abs=0.5)


def test_the_console_answers_only_loopback_hosts(virtual: Server) -> None:
    response = httpx.get(f"{virtual.endpoint}{UI}/", headers={"host": "evil.example"})
    assert response.status_code == 403
    assert httpx.get(f"{virtual.endpoint}{UI}/", headers={"host": "localhost"}).status_code == 200


def test_purge_asks_with_the_count_first(virtual: Server) -> None:
    sqs = virtual.client("sqs")
    queue = f"purge-{next(_names)}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    asked = _post(virtual, "purge", {"queue": queue})
    assert asked.status_code == 200 and 'name="confirm" value="3"' in asked.text
    sqs.send_message(QueueUrl=url, MessageBody="late")
    stale = _post(virtual, "purge", {"queue": queue, "confirm": "3"})
    assert 'name="confirm" value="4"' in stale.text  # the count changed: asked again
    assert len(httpx.get(f"{virtual.endpoint}{API}/dlq/{queue}").json()["messages"]) == 4
    done = _post(virtual, "purge", {"queue": queue, "confirm": "4"})
    assert "Purged 4 message(s)" in done.text
    assert httpx.get(f"{virtual.endpoint}{API}/dlq/{queue}").json()["messages"] == []


def test_reinvoke_makes_a_new_event_with_the_same_payload(virtual: Server) -> None:
    name = _create(virtual, "def handler(e, c):\n    return e\n")
    lam = virtual.client("lambda")
    first = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"k": "v"}')
    request_id = first["ResponseMetadata"]["RequestId"]
    drain(virtual.endpoint)
    response = _post(virtual, "reinvoke", {"request-id": request_id})
    assert response.status_code == 200, response.text
    new_id = re.search(r"/events/([0-9a-f-]+)", response.text)
    assert new_id is not None and new_id.group(1) != request_id
    drain(virtual.endpoint)
    journey = httpx.get(f"{virtual.endpoint}{API}/events/{new_id.group(1)}").json()
    assert journey["condition"] == "Success" and journey["source"] == "console"
    (run,) = journey["attempts"]
    assert run["outcome"] == "Success" and run["trigger"] == "async"


def test_bad_input_gets_aws_errors_and_the_server_keeps_serving(virtual: Server) -> None:
    base = virtual.endpoint
    missing = httpx.get(f"{base}{API}/functions/nope")
    assert missing.status_code == 404
    assert missing.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    bad = httpx.get(f"{base}{API}/invocations", params={"function": "x", "limit": "many"})
    assert bad.status_code == 400
    assert bad.headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert httpx.get(f"{base}{API}/events/none").status_code == 404
    assert httpx.get(f"{base}{UI}/nowhere").status_code == 404
    assert _post(virtual, "clock", {"advance": "soon"}).status_code == 400
    assert _post(virtual, "reinvoke", {"request-id": "unknown"}).status_code == 404
    json_bad = httpx.post(
        f"{base}{API}/actions/clock",
        content=b"{not json",
        headers={
            "origin": base,
            "x-csrf-token": _token(virtual),
            "content-type": "application/json",
        },
    )
    assert json_bad.status_code == 400
    assert httpx.get(f"{base}/_lambdalite/health").status_code == 200


def test_the_live_stream_carries_outcomes_and_filtered_log_lines(virtual: Server) -> None:
    name = _create(virtual, "def handler(e, c):\n    print('ERROR one')\n    print('INFO two')\n")
    params = [("topic", f"fn:{name}"), ("topic", f"logs:/aws/lambda/{name}"), ("filter", "?ERROR")]
    seen: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{virtual.endpoint}{UI}/stream", params=params, timeout=30) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        lines = s.iter_lines()
        assert next(lines) == "retry: 1000"
        virtual.client("lambda").invoke(FunctionName=name, Payload=b"{}")
        for line in lines:
            if line.startswith("data: "):
                seen += json.loads(line.removeprefix("data: "))["events"]
            topics = {e["topic"] for e in seen}
            if topics == {f"fn:{name}", f"logs:/aws/lambda/{name}"}:
                break
    outcome = next(e["data"] for e in seen if e["topic"] == f"fn:{name}")
    assert outcome["outcome"] == "Success" and outcome["trigger"] == "sync"
    messages = [e["data"]["message"] for e in seen if e["topic"].startswith("logs:")]
    assert messages == ["ERROR one\n"]


def test_the_cli_reads_the_journal(virtual: Server) -> None:
    import subprocess
    import sys

    name = _create(virtual, "def handler(e, c):\n    print('from the journal')\n    return 1\n")
    lam = virtual.client("lambda")
    response = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    request_id = response["ResponseMetadata"]["RequestId"]
    drain(virtual.endpoint)
    env = {**os.environ, "LAMBDALITE_ENDPOINT": virtual.endpoint}
    cli = [sys.executable, "-m", "lambdalite.cli.main"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], capture_output=True, text=True, env=env)

    logs = run("logs", name, "--request-id", request_id)
    assert logs.returncode == 0, logs.stderr
    lines = logs.stdout.splitlines()
    assert lines[0].startswith(f"START RequestId: {request_id}") and lines[1] == "from the journal"
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}")
    journey = run("events", name, "--request-id", request_id)
    assert journey.returncode == 0, journey.stderr
    assert "  attempt 1  " in journey.stdout and "Success (cold" in journey.stdout
    missing = run("logs", name, "--request-id", "nope")
    assert missing.returncode == 1 and "no invocation" in missing.stderr


def test_a_queue_dlq_moves_back_from_the_console(virtual: Server) -> None:
    sqs = virtual.client("sqs")
    dlq = sqs.create_queue(QueueName=f"cdlq-{next(_names)}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    name = f"csrc-{next(_names)}"
    source = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    sqs.send_message(QueueUrl=source, MessageBody="again")
    sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    sqs.receive_message(QueueUrl=source)  # over maxReceiveCount: moved to the DLQ
    dlq_name = dlq_arn.rsplit(":", 1)[1]
    listed = httpx.get(f"{virtual.endpoint}{API}/dlq").json()["queues"]
    assert any(q["arn"] == dlq_arn and q["sources"] == [f"queue {name}"] for q in listed)
    page = httpx.get(f"{virtual.endpoint}{UI}/dlq/{dlq_name}").text
    assert "Move back to source queues" in page and "again" in page
    moved = _post(virtual, "move", {"queue": dlq_name})
    assert 'data-moved="1"' in moved.text, moved.text
    back = sqs.receive_message(QueueUrl=source)["Messages"]
    assert [m["Body"] for m in back] == ["again"]


def test_an_open_stream_does_not_hold_up_shutdown(tmp_path: Any) -> None:
    import time

    srv = start_server(tmp_path, "--no-example", "--shutdown-grace", "30")
    url = f"{srv.endpoint}{UI}/stream"
    with httpx.stream("GET", url, params={"topic": "overview"}, timeout=30) as s:
        lines = s.iter_lines()  # held: dropping it would close the stream from this side
        assert next(lines) == "retry: 1000"
        started = time.monotonic()
        stop_server(srv)
        assert srv.process.returncode in (0, -15)  # uvicorn re-raises the SIGTERM it caught
        assert time.monotonic() - started < 10  # not the 30 s grace


def test_the_invoke_form_answers_as_invoke_does(virtual: Server) -> None:
    name = _create(virtual, "def handler(e, c):\n    print('tail <me>')\n    return e\n")
    done = _post(virtual, "invoke", {"function": name, "payload": '{"a": "<i>1</i>"}'})
    assert done.status_code == 200 and "Status <b>200</b>" in done.text
    assert "&lt;i&gt;1&lt;/i&gt;" in done.text and "tail &lt;me&gt;" in done.text  # the log tail
    queued = _post(virtual, "invoke", {"function": name, "payload": "{}", "type": "Event"})
    assert "Status <b>202</b>" in queued.text and "/_lambdalite/ui/events/" in queued.text
    bad = _post(virtual, "invoke", {"function": name, "payload": "{not json"})
    assert "Status <b>400</b>" in bad.text and "InvalidRequestContentException" in bad.text


def test_the_log_twin_filters_with_cloudwatch_patterns_and_errors(virtual: Server) -> None:
    source = (
        "import json\n"
        "def handler(e, c):\n"
        "    print(json.dumps({'level': 'ERROR', 'n': 1}))\n"
        "    print(json.dumps({'level': 'INFO', 'n': 2}))\n"
    )
    name = _create(virtual, source)
    virtual.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    drain(virtual.endpoint)
    group = f"/aws/lambda/{name}"
    doc = httpx.get(
        f"{virtual.endpoint}{API}/logs", params={"group": group, "filter": '{ $.level = "ERROR" }'}
    ).json()
    assert [json.loads(line["message"])["n"] for line in doc["lines"]] == [1]
    bad = httpx.get(f"{virtual.endpoint}{API}/logs", params={"group": group, "filter": "{ $.x = "})
    assert bad.status_code == 400
    assert bad.headers["x-amzn-errortype"] == "InvalidParameterException"
    shown = httpx.get(
        f"{virtual.endpoint}{UI}/fragments/logs", params={"group": group, "filter": "[a"}
    )
    assert shown.status_code == 400
    assert 'data-error-code="InvalidParameterException"' in shown.text and "<html" not in shown.text

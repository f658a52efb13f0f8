"""Function logs as CloudWatch Logs serves them: one stream per environment, every line an
event stamped by the platform clock, `aws logs tail --follow`'s polling loop, and
subscription filters that hand matching lines to a function as the `awslogs` payload."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import Server, advance, clock_now, drain, start_server, stop_server
from tests.acceptance.conftest import create

SPEAKER = """
def handler(event, context):
    for line in event.get("lines", []):
        print(line)
    if event.get("fail"):
        raise ValueError("broken")
    return "ok"
"""
RECEIVER = """
import base64, gzip, json

def handler(event, context):
    print(json.dumps(json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))))
"""
STREAM = re.compile(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("fnlogs"), "--clock", "virtual", "--no-example")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def logs(srv: Server) -> Any:
    return srv.client("logs")


def _invoke(lam: Any, name: str, **event: Any) -> None:
    lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())


def _messages(logs: Any, group: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(logs.filter_log_events(logGroupName=group, **kwargs)["events"])


def test_each_line_is_an_event_stamped_when_it_was_written(
    srv: Server, lam: Any, logs: Any
) -> None:
    name = create(lam, SPEAKER)
    group = f"/aws/lambda/{name}"
    first_at = int(clock_now(srv.endpoint) * 1000)
    _invoke(lam, name, lines=["one", "two"])
    later_at = int(advance(srv.endpoint, 30) * 1000)
    _invoke(lam, name, lines=["three"], fail=True)
    drain(srv.endpoint)
    events = _messages(logs, group)
    texts = [e["message"] for e in events]
    assert texts[2:4] == ["one\n", "two\n"]
    assert texts[1].startswith("START RequestId:") and texts[1].endswith("Version: $LATEST\n")
    assert [t.split()[0] for t in texts] == [
        "INIT_START", "START", "one", "two", "END", "REPORT",
        "START", "three", "[ERROR]", "END", "REPORT",
    ]  # fmt: skip
    assert "\rTraceback (most recent call last):\r" in texts[8]  # a traceback is one event
    assert {e["timestamp"] for e in events[:6]} == {first_at}
    assert {e["timestamp"] for e in events[6:]} == {later_at}
    assert all(e["ingestionTime"] >= e["timestamp"] for e in events)
    assert {e["logStreamName"] for e in events} == {events[0]["logStreamName"]}
    assert STREAM.fullmatch(events[0]["logStreamName"])
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["logStreamName"] == events[0]["logStreamName"]
    assert (stream["firstEventTimestamp"], stream["lastEventTimestamp"]) == (first_at, later_at)
    assert group in [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    report = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
    assert len(report) == 2


def _tail_poll(logs: Any, group: str, state: dict[str, Any]) -> list[str]:
    """One poll of `aws logs tail --follow` (CLI v2's loop, brief 2.4): page through
    FilterLogEvents, then next time start again at the newest timestamp seen, skipping
    the event ids already printed at that timestamp."""
    printed: list[str] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "interleaved": True}
    kwargs["startTime"] = state["start"]
    while True:
        page = logs.filter_log_events(**kwargs)
        for event in page["events"]:
            assert "ingestionTime" in event  # the CLI raises KeyError without it
            if event["eventId"] in state["seen"]:
                continue
            if event["timestamp"] > state["start"]:
                state["start"], state["seen"] = event["timestamp"], set()
            state["seen"].add(event["eventId"])
            printed.append(event["message"].rstrip("\n"))
        if "nextToken" not in page:
            return printed
        kwargs["nextToken"] = page["nextToken"]


def test_the_tail_follow_loop_shows_new_lines_at_the_next_poll_and_never_twice(
    srv: Server, lam: Any, logs: Any
) -> None:
    name = create(lam, SPEAKER)
    group = f"/aws/lambda/{name}"
    state: dict[str, Any] = {"start": int(clock_now(srv.endpoint) * 1000) - 600_000, "seen": set()}
    _invoke(lam, name, lines=["before"])
    drain(srv.endpoint)
    assert "before" in _tail_poll(logs, group, state)
    assert _tail_poll(logs, group, state) == []  # nothing new: nothing printed again
    _invoke(lam, name, lines=["after 1", "after 2"])  # same clock time as "before"
    drain(srv.endpoint)
    shown = _tail_poll(logs, group, state)
    assert [s for s in shown if s.startswith("after")] == ["after 1", "after 2"]
    assert "before" not in shown
    advance(srv.endpoint, 5)
    _invoke(lam, name, lines=["later"])
    drain(srv.endpoint)
    shown = _tail_poll(logs, group, state)
    assert "later" in shown and not any(s.startswith("after") for s in shown)


def _error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_subscription_filters_deliver_matching_lines_as_awslogs_payloads(
    srv: Server, lam: Any, logs: Any
) -> None:
    speaker, receiver = create(lam, SPEAKER), create(lam, RECEIVER)
    group, receiver_group = f"/aws/lambda/{speaker}", f"/aws/lambda/{receiver}"
    receiver_arn = lam.get_function(FunctionName=receiver)["Configuration"]["FunctionArn"]
    _invoke(lam, speaker, lines=["ERROR before the filter"])
    drain(srv.endpoint)
    logs.put_subscription_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR",
        destinationArn=receiver_arn,
    )  # fmt: skip
    described = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [(f["filterName"], f["filterPattern"], f["destinationArn"]) for f in described] == [
        ("errors", "ERROR", receiver_arn)
    ]
    _invoke(lam, speaker, lines=["ERROR one", "fine", "ERROR two"])
    drain(srv.endpoint)
    delivered = _messages(logs, receiver_group, filterPattern='{ $.messageType = "DATA_MESSAGE" }')
    assert len(delivered) == 1
    doc = json.loads(delivered[0]["message"])
    stream = _messages(logs, group, filterPattern="fine")[0]["logStreamName"]
    assert doc["owner"] == "000000000000"
    assert (doc["logGroup"], doc["logStream"], doc["subscriptionFilters"]) == (
        group, stream, ["errors"],
    )  # fmt: skip
    assert [e["message"] for e in doc["logEvents"]] == ["ERROR one\n", "ERROR two\n"]
    assert all(re.fullmatch(r"\d{56}", e["id"]) and e["timestamp"] for e in doc["logEvents"])

    logs.delete_subscription_filter(logGroupName=group, filterName="errors")
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"] == []
    _invoke(lam, speaker, lines=["ERROR after the filter"])
    drain(srv.endpoint)
    again = _messages(logs, receiver_group, filterPattern='{ $.messageType = "DATA_MESSAGE" }')
    assert len(again) == 1


def test_subscription_filters_refuse_loops_unknown_functions_and_bad_patterns(
    lam: Any, logs: Any
) -> None:
    receiver = create(lam, RECEIVER)
    arn = lam.get_function(FunctionName=receiver)["Configuration"]["FunctionArn"]
    own = f"/aws/lambda/{receiver}"
    logs.create_log_group(logGroupName=own)
    put = logs.put_subscription_filter
    assert _error_code(put, logGroupName=own, filterName="f", filterPattern="",
                       destinationArn=arn) == "InvalidParameterException"  # fmt: skip
    logs.create_log_group(logGroupName="/subs/other")
    missing = arn.replace(receiver, "no-such-function")
    assert _error_code(put, logGroupName="/subs/other", filterName="f", filterPattern="",
                       destinationArn=missing) == "InvalidParameterException"  # fmt: skip
    assert _error_code(put, logGroupName="/subs/other", filterName="f", filterPattern="{ $.a",
                       destinationArn=arn) == "InvalidParameterException"  # fmt: skip
    assert _error_code(put, logGroupName="/subs/none", filterName="f", filterPattern="",
                       destinationArn=arn) == "ResourceNotFoundException"  # fmt: skip
    for n in ("a", "b"):
        put(logGroupName="/subs/other", filterName=n, filterPattern="", destinationArn=arn)
    put(logGroupName="/subs/other", filterName="a", filterPattern="x", destinationArn=arn)
    assert _error_code(put, logGroupName="/subs/other", filterName="c", filterPattern="",
                       destinationArn=arn) == "LimitExceededException"  # fmt: skip
    assert _error_code(logs.delete_subscription_filter, logGroupName="/subs/other",
                       filterName="zzz") == "ResourceNotFoundException"  # fmt: skip


LEVELLED = """
import logging

logger = logging.getLogger("app")


def handler(event, context):
    logger.info("quiet")
    logger.warning("loud", extra={"k": 1})
    print("plain")
    if event.get("fail"):
        raise ValueError("broken")
    return "ok"
"""


def _json_lines(logs: Any, group: str) -> list[dict[str, Any]]:
    out = []
    for event in _messages(logs, group):
        if event["message"].startswith("{"):
            out.append(json.loads(event["message"]))
    return out


def test_the_json_log_format_writes_records_and_filters_by_level(
    srv: Server, lam: Any, logs: Any
) -> None:
    config = {"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}
    name = create(lam, LEVELLED, LoggingConfig=config)
    group = f"/aws/lambda/{name}"
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == {
        "LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO",
        "LogGroup": group,
    }  # fmt: skip
    _invoke(lam, name)
    drain(srv.endpoint)
    texts = [e["message"] for e in _messages(logs, group)]
    assert "plain\n" in texts  # print() stays plain text
    assert not any("quiet" in t for t in texts)  # INFO is below WARN
    records = _json_lines(logs, group)
    assert [r.get("type") for r in records if "type" in r] == [
        "platform.initStart", "platform.start", "platform.report",
    ]  # fmt: skip
    app = [r for r in records if "type" not in r]
    assert len(app) == 1
    assert list(app[0]) == ["timestamp", "level", "message", "logger", "requestId", "k"]
    assert (app[0]["level"], app[0]["message"], app[0]["logger"], app[0]["k"]) == (
        "WARNING", "loud", "app", 1,
    )  # fmt: skip
    start = next(r for r in records if r.get("type") == "platform.start")
    assert start["record"] == {"requestId": app[0]["requestId"], "version": "$LATEST"}
    report = next(r for r in records if r.get("type") == "platform.report")
    assert report["record"]["status"] == "success"
    assert set(report["record"]["metrics"]) >= {
        "durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs",
    }  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", report["time"])

    lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "DEBUG"}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    logging_config = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert (logging_config["ApplicationLogLevel"], logging_config["SystemLogLevel"]) == (
        "WARN", "DEBUG",
    )  # fmt: skip
    _invoke(lam, name, fail=True)
    drain(srv.endpoint)
    records = _json_lines(logs, group)
    done = [r for r in records if r.get("type") == "platform.runtimeDone"]
    assert [d["record"]["status"] for d in done] == ["failure"]
    assert records[-1]["type"] == "platform.report"
    assert records[-1]["record"]["status"] == "failure"
    assert records[-1]["record"]["errorType"] == "ValueError"
    error = next(r for r in records if r.get("errorType") == "ValueError" and "level" in r)
    assert error["level"] == "ERROR" and error["errorMessage"] == "broken"
    assert isinstance(error["stackTrace"], list)


def test_log_levels_need_the_json_format(lam: Any) -> None:
    with pytest.raises(ClientError) as info:
        create(lam, LEVELLED, LoggingConfig={"LogFormat": "Text", "SystemLogLevel": "WARN"})
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "LogLevel is not supported" in info.value.response["Error"]["Message"]
    name = create(lam, LEVELLED, LoggingConfig={"LogFormat": "JSON", "LogGroup": "/custom/g"})
    config = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert config["LogGroup"] == "/custom/g"
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    config = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert config == {"LogFormat": "Text", "LogGroup": "/custom/g"}

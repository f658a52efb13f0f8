"""CloudWatch Logs on groups and streams of the user's own, through boto3 and the aws CLI:
CreateLogGroup .. DeleteLogGroup, PutLogEvents, GetLogEvents tokens, FilterLogEvents with
filter patterns and tokens, retention on the virtual clock, tags, and CloudWatch's errors."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import Server, advance, clock_now, drain, start_server, stop_server

_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("logs"), "--clock", "virtual", "--no-example")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def logs(srv: Server) -> Any:
    return srv.client("logs")


def _group(logs: Any, *streams: str) -> str:
    name = f"/app/g{next(_names)}"
    logs.create_log_group(logGroupName=name)
    for stream in streams:
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
    return name


def _put(logs: Any, group: str, stream: str, start_ms: int, *messages: str) -> None:
    events = [{"timestamp": start_ms + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Code"], error["Message"]


def _now_ms(srv: Server) -> int:
    return int(clock_now(srv.endpoint) * 1000)


def test_groups_are_created_described_page_by_page_and_deleted(logs: Any) -> None:
    names = [f"/pages/{i}" for i in range(5)]
    for name in names:
        logs.create_log_group(logGroupName=name, tags={"team": "a"})
    assert _error(logs.create_log_group, logGroupName=names[0]) == (
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
    )
    first = logs.describe_log_groups(logGroupNamePrefix="/pages/", limit=2)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:2]
    paged = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix="/pages/", PaginationConfig={"PageSize": 2}
    )
    assert [g["logGroupName"] for page in paged for g in page["logGroups"]] == names
    group = first["logGroups"][0]
    assert group["arn"].endswith(":log-group:/pages/0:*")
    assert group["logGroupArn"] == group["arn"][:-2]
    assert "retentionInDays" not in group
    found = logs.describe_log_groups(logGroupNamePattern="GES/3")["logGroups"]
    assert [g["logGroupName"] for g in found] == ["/pages/3"]
    logs.delete_log_group(logGroupName=names[0])
    assert _error(logs.delete_log_group, logGroupName=names[0]) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    assert _error(logs.create_log_group, logGroupName="bad name!")[0] == (
        "InvalidParameterException"
    )


def test_unknown_groups_and_streams_get_cloudwatchs_errors(logs: Any) -> None:
    missing = "The specified log group does not exist."
    for call, kwargs in [
        (logs.filter_log_events, {"logGroupName": "/none"}),
        (logs.describe_log_streams, {"logGroupName": "/none"}),
        (logs.get_log_events, {"logGroupName": "/none", "logStreamName": "s"}),
        (logs.put_retention_policy, {"logGroupName": "/none", "retentionInDays": 1}),
        (logs.create_log_stream, {"logGroupName": "/none", "logStreamName": "s"}),
        (logs.put_log_events, {"logGroupName": "/none", "logStreamName": "s", "logEvents": [
            {"timestamp": 1, "message": "x"}]}),
    ]:  # fmt: skip
        assert _error(call, **kwargs) == ("ResourceNotFoundException", missing)
    group = _group(logs)
    assert _error(logs.get_log_events, logGroupName=group, logStreamName="nope") == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )


def test_streams_are_ordered_by_name_or_last_event_and_paged(srv: Server, logs: Any) -> None:
    group = _group(logs, "b", "a", "c")
    now = _now_ms(srv)
    _put(logs, group, "c", now - 3000, "c1")
    _put(logs, group, "a", now - 2000, "a1")
    _put(logs, group, "b", now - 1000, "b1", "b2")
    by_name = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in by_name] == ["a", "b", "c"]
    b = by_name[1]
    assert (b["firstEventTimestamp"], b["lastEventTimestamp"]) == (now - 1000, now - 999)
    assert b["lastIngestionTime"] >= b["creationTime"]
    latest = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in latest["logStreams"]] == ["b", "a", "c"]
    pages = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, descending=True, PaginationConfig={"PageSize": 1}
    )
    assert [s["logStreamName"] for p in pages for s in p["logStreams"]] == ["c", "b", "a"]
    code, message = _error(
        logs.describe_log_streams,
        logGroupName=group,
        orderBy="LastEventTime",
        logStreamNamePrefix="a",
    )
    assert code == "InvalidParameterException"
    assert "LastEventTime" in message
    assert _error(logs.create_log_stream, logGroupName=group, logStreamName="a")[0] == (
        "ResourceAlreadyExistsException"
    )
    logs.delete_log_stream(logGroupName=group, logStreamName="a")
    names = [
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]
    ]
    assert names == ["b", "c"]


def test_get_log_events_pages_both_ways_and_repeats_the_token_at_the_ends(
    srv: Server, logs: Any
) -> None:
    group = _group(logs, "s")
    now = _now_ms(srv)
    _put(logs, group, "s", now - 10_000, *[f"line {i}" for i in range(7)])
    newest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3)
    assert [e["message"] for e in newest["events"]] == ["line 4", "line 5", "line 6"]
    older = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=3, nextToken=newest["nextBackwardToken"]
    )
    assert [e["message"] for e in older["events"]] == ["line 1", "line 2", "line 3"]
    oldest = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=3, nextToken=older["nextBackwardToken"]
    )
    assert [e["message"] for e in oldest["events"]] == ["line 0"]
    start = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=3, nextToken=oldest["nextBackwardToken"]
    )
    assert start["events"] == []
    assert start["nextBackwardToken"] == oldest["nextBackwardToken"]

    # Forward from the head, as readers loop: until the token repeats.
    seen, token = [], None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {}
        page = logs.get_log_events(
            logGroupName=group, logStreamName="s", limit=3, startFromHead=True, **kwargs
        )
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(7)]
    _put(logs, group, "s", now, "line 7")  # a reader at the end sees what comes next
    more = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)
    assert [e["message"] for e in more["events"]] == ["line 7"]
    window = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=now - 9_998, endTime=now - 9_996,
        startFromHead=True,
    )  # fmt: skip
    assert [e["message"] for e in window["events"]] == ["line 2", "line 3"]  # end exclusive
    code, message = _error(
        logs.get_log_events, logGroupName=group, logStreamName="s", nextToken="f/garbage"
    )
    assert (code, message) == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_filter_log_events_applies_patterns(srv: Server, logs: Any) -> None:
    group = _group(logs, "web", "api")
    now = _now_ms(srv)
    _put(
        logs,
        group,
        "web",
        now - 5000,
        "ERROR disk full",
        "WARN slow",
        "DEBUG noise",
        "ERROR retry later",
        "Task timed out x",
    )
    _put(logs, group, "api", now - 4000,
         json.dumps({"level": "ERROR", "latency": 150, "user": {"id": 1234}, "tags": ["a", "b"]}),
         json.dumps({"level": "INFO", "latency": 50, "user": {"id": 99}, "gone": None}),
         '127.0.0.1 frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 404 2326',
         '127.0.0.2 bob [10/Oct/2000:13:56:00 -0700] "POST /b HTTP/1.0" 200 99')  # fmt: skip

    def matched(pattern: str, **kwargs: Any) -> list[str]:
        page = logs.filter_log_events(logGroupName=group, filterPattern=pattern, **kwargs)
        return [e["message"] for e in page["events"]]

    slow, fast = matched("{ $.latency > 100 }")[0], matched("{ $.latency < 100 }")[0]
    assert '"latency": 150' in slow and '"latency": 50' in fast
    assert matched("ERROR") == ["ERROR disk full", "ERROR retry later", slow]
    assert matched("ERROR -retry", logStreamNames=["web"]) == ["ERROR disk full"]
    assert matched("?WARN ?DEBUG") == ["WARN slow", "DEBUG noise"]
    assert matched('"Task timed out"') == ["Task timed out x"]
    assert matched('{ $.level = "ERROR" && $.latency > 100 }') == [slow]
    assert matched("{ $.user.id = 12* }") == [slow]
    assert matched('{ $.tags[1] = "b" }') == [slow]
    assert matched("{ $.gone IS NULL }") == [fast]
    assert matched("{ $.gone NOT EXISTS }") == [slow]
    assert matched('{ ($.latency >= 50) && ($.level != "ERROR") }') == [fast]
    spaced = matched("[ip, user, ..., status = 404, size > 1000]")
    assert [m.split()[1] for m in spaced] == ["frank"]
    assert [m.split()[1] for m in matched('[ip, user, ts, request = "POST*", ...]')] == ["bob"]
    assert matched("%disk|later%", logStreamNamePrefix="we") == [
        "ERROR disk full", "ERROR retry later",
    ]  # fmt: skip
    for bad in ("{ $.latency > }", '{ $.level = "x"', "user@example.com", "[a, b = ]", "%(%"):
        code, _ = _error(logs.filter_log_events, logGroupName=group, filterPattern=bad)
        assert code == "InvalidParameterException", bad
    code, _ = _error(
        logs.filter_log_events, logGroupName=group, logStreamNames=["web"], logStreamNamePrefix="w"
    )
    assert code == "InvalidParameterException"


def test_filter_log_events_pages_with_stable_event_ids(srv: Server, logs: Any) -> None:
    group = _group(logs, "a", "b")
    now = _now_ms(srv)
    _put(logs, group, "a", now - 1000, "a0", "a1", "a2")
    _put(logs, group, "b", now - 999, "b0", "b1")  # interleaves with a by timestamp
    first = logs.filter_log_events(logGroupName=group, limit=2)
    assert [e["message"] for e in first["events"]] == ["a0", "a1"]
    rest = logs.filter_log_events(logGroupName=group, limit=10, nextToken=first["nextToken"])
    assert [e["message"] for e in rest["events"]] == ["b0", "a2", "b1"]
    assert "nextToken" not in rest
    again = logs.filter_log_events(logGroupName=group)["events"]
    assert [e["eventId"] for e in again] == [e["eventId"] for e in first["events"] + rest["events"]]
    assert len({e["eventId"] for e in again}) == 5
    since = logs.filter_log_events(logGroupName=group, startTime=now - 998, endTime=now - 998)
    assert [e["message"] for e in since["events"]] == ["a2", "b1"]  # both bounds inclusive
    assert {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"} <= set(again[0])


def test_put_log_events_checks_its_batch_and_reports_rejected_events(
    srv: Server, logs: Any
) -> None:
    group = _group(logs, "s")
    now = _now_ms(srv)
    code, message = _error(
        logs.put_log_events, logGroupName=group, logStreamName="s",
        logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
    )  # fmt: skip
    assert code == "InvalidParameterException"
    assert "chronological" in message
    answer = logs.put_log_events(
        logGroupName=group, logStreamName="s", sequenceToken="anything",
        logEvents=[
            {"timestamp": now, "message": "kept"},
            {"timestamp": now + 3 * 3600_000, "message": "too new"},
        ],
    )  # fmt: skip
    assert answer["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    old = [{"timestamp": now - 15 * 86_400_000, "message": "too old"}]
    answer = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=old)
    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}
    events = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["kept"]


def test_retention_is_honoured_on_the_clock(srv: Server, logs: Any) -> None:
    group = _group(logs, "s")
    now = _now_ms(srv)
    _put(logs, group, "s", now - 1000, "old")
    code, _ = _error(logs.put_retention_policy, logGroupName=group, retentionInDays=2)
    assert code == "InvalidParameterException"
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["retentionInDays"] == 1
    advance(srv.endpoint, 12 * 3600)
    _put(logs, group, "s", _now_ms(srv), "young")
    drain(srv.endpoint)
    assert [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]] == [
        "old", "young",
    ]  # fmt: skip
    advance(srv.endpoint, 13 * 3600)
    drain(srv.endpoint)
    assert [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]] == ["young"]
    logs.delete_retention_policy(logGroupName=group)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert "retentionInDays" not in described
    advance(srv.endpoint, 30 * 86_400)
    drain(srv.endpoint)
    assert len(logs.filter_log_events(logGroupName=group)["events"]) == 1  # kept forever


def test_tags_by_group_name_and_by_arn(logs: Any) -> None:
    group = _group(logs)
    logs.tag_log_group(logGroupName=group, tags={"a": "1", "b": "2"})
    logs.untag_log_group(logGroupName=group, tags=["a"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2"}
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"c": "3"})
    logs.untag_resource(resourceArn=arn, tagKeys=["b"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"c": "3"}


def _aws(srv: Server, *args: str) -> Any:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = subprocess.run(
        ["aws", "--endpoint-url", srv.endpoint, "--output", "json", "logs", *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_the_aws_cli_reads_and_writes_logs(srv: Server, logs: Any, tmp_path: Path) -> None:
    group = f"/cli/g{next(_names)}"
    _aws(srv, "create-log-group", "--log-group-name", group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = _now_ms(srv)
    events = [{"timestamp": now + i, "message": f"cli line {i}"} for i in range(3)]
    (tmp_path / "events.json").write_text(json.dumps(events))
    _aws(srv, "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
         "--log-events", f"file://{tmp_path / 'events.json'}")  # fmt: skip
    got = _aws(srv, "get-log-events", "--log-group-name", group, "--log-stream-name", "s",
               "--start-from-head")  # fmt: skip
    assert [e["message"] for e in got["events"]] == [f"cli line {i}" for i in range(3)]
    # The CLI follows nextToken itself (two events a page here).
    found = _aws(srv, "filter-log-events", "--log-group-name", group, "--filter-pattern",
                 "?\"line 0\" ?\"line 2\"", "--page-size", "1")  # fmt: skip
    assert [e["message"] for e in found["events"]] == ["cli line 0", "cli line 2"]

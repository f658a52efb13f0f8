"""A data directory written by the release before versioned migrations opens in this one
with everything in it: functions, queues, topics, rules, streams, queued events and logs."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, start_server, stop_server

FIXTURE = Path(__file__).parent.parent / "fixtures" / "datadir"


def _restore(data: Path) -> None:
    data.mkdir(parents=True)
    for name in ("lambdalite", "logs"):
        with closing(sqlite3.connect(data / f"{name}.sqlite3", isolation_level=None)) as db:
            db.executescript((FIXTURE / f"{name}.sql").read_text())
    _rebase_async_events(data / "lambdalite.sqlite3")
    shutil.copytree(FIXTURE / "code", data / "code")


def _rebase_async_events(path: Path) -> None:
    """Move the queued events' times so the newest was received two minutes ago: the fixture
    was written on one day, and after six hours its events would be past their maximum age."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        [(newest,)] = db.execute("SELECT max(enqueued_at) FROM async_events").fetchall()
        shift = time.time() - 120 - newest
        db.execute(
            "UPDATE async_events SET enqueued_at = enqueued_at + ?, due_at = due_at + ?,"
            " finished_at = finished_at + ?",
            (shift, shift, shift),
        )


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("upgrade")
    _restore(tmp / "data")
    server = start_server(tmp, "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def test_the_files_are_at_the_current_schema_version(upgraded: Server) -> None:
    with closing(sqlite3.connect(upgraded.data_dir / "lambdalite.sqlite3")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_functions_versions_aliases_and_concurrency_survive(upgraded: Server) -> None:
    lam = upgraded.client("lambda")
    config = lam.get_function(FunctionName="keeper")
    assert config["Configuration"]["Environment"]["Variables"] == {"COLOUR": "blue"}
    assert config["Concurrency"]["ReservedConcurrentExecutions"] == 7
    assert lam.get_alias(FunctionName="keeper", Name="live")["FunctionVersion"] == "1"
    versions = [
        v["Version"] for v in lam.list_versions_by_function(FunctionName="keeper")["Versions"]
    ]
    assert versions == ["$LATEST", "1"]
    answer = lam.invoke(FunctionName="keeper:live", Payload=b'{"after": "upgrade"}')
    assert answer["Payload"].read() == b'{"echo": {"after": "upgrade"}}'
    invoke_config = lam.get_function_event_invoke_config(FunctionName="keeper")
    assert invoke_config["MaximumRetryAttempts"] == 1


def test_queues_keep_their_attributes_tags_and_messages(upgraded: Server) -> None:
    sqs = upgraded.client("sqs")
    url = sqs.get_queue_url(QueueName="keeper-jobs")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert '"maxReceiveCount": "3"' in attributes["RedrivePolicy"] or (
        "maxReceiveCount" in attributes["RedrivePolicy"]
    )
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "blue"}
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == ["first job", "second job"]
    fifo = sqs.get_queue_url(QueueName="keeper.fifo")["QueueUrl"]
    [message] = sqs.receive_message(
        QueueUrl=fifo, AttributeNames=["MessageGroupId"], MaxNumberOfMessages=10
    )["Messages"]
    assert (message["Body"], message["Attributes"]["MessageGroupId"]) == ("in order", "g1")


def test_topics_rules_and_streams_survive(upgraded: Server) -> None:
    sns = upgraded.client("sns")
    [topic] = [t["TopicArn"] for t in sns.list_topics()["Topics"] if "keeper-news" in t["TopicArn"]]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "News"
    [sub] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sub["Protocol"] == "sqs" and sub["Endpoint"].endswith(":keeper-dlq")

    events = upgraded.client("events")
    rule = events.describe_rule(Name="keeper-rule", EventBusName="keeper-bus")
    assert rule["EventPattern"] == '{"source": ["keeper"]}'
    [target] = events.list_targets_by_rule(Rule="keeper-rule", EventBusName="keeper-bus")["Targets"]
    assert target["Id"] == "q"
    tick = events.describe_rule(Name="keeper-tick")
    assert (tick["ScheduleExpression"], tick["State"]) == ("rate(5 minutes)", "DISABLED")

    kinesis = upgraded.client("kinesis")
    shards = kinesis.list_shards(StreamName="keeper-clicks")["Shards"]
    assert len(shards) == 2
    data = []
    for shard in shards:
        iterator = kinesis.get_shard_iterator(
            StreamName="keeper-clicks", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        data += [r["Data"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    assert sorted(data) == [f"click {n}".encode() for n in range(5)]


def test_logs_are_still_readable(upgraded: Server) -> None:
    logs = upgraded.client("logs")
    found = logs.filter_log_events(logGroupName="/aws/lambda/keeper", filterPattern="seen")
    assert any("'sync': 1" in e["message"] for e in found["events"])


def test_a_queued_event_runs_its_remaining_retries(upgraded: Server) -> None:
    def flaky() -> dict[str, Any]:
        doc = httpx.get(
            f"{upgraded.endpoint}/_lambdalite/async-events", params={"function": "flaky"}
        ).json()
        [event] = doc["events"]
        return dict(event)

    # The old server ran attempt 1 and scheduled attempt 2 a minute later (long past now).
    drain(upgraded.endpoint)
    assert flaky()["attempts"] >= 2
    advance(upgraded.endpoint, 300)
    drain(upgraded.endpoint)
    assert (flaky()["state"], flaky()["attempts"], flaky()["condition"]) == (
        "done",
        3,
        "RetriesExhausted",
    )

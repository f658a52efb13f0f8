"""kill -9 under two running SQS mappings (a standard queue and a FIFO queue), then a restart
on the same data: every message is processed at least once, and on the FIFO queue the order
of first processing holds per message group. Duplicates are allowed, losses are not."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

MESSAGES = 300  # per queue
GROUPS = 5
HANDLER = """
import json, os, time

def handler(event, context):
    time.sleep(0.01)
    with open(os.environ["LOG"], "a") as f:
        for r in event["Records"]:
            queue = r["eventSourceARN"].rsplit(":", 1)[1]
            group = r["attributes"].get("MessageGroupId", "")
            f.write(json.dumps([queue, group, r["body"]]) + "\\n")
"""


def _seen(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.endswith("]")]


def _fill(sqs: Any, url: str, fifo: bool) -> dict[str, list[str]]:
    """Sends MESSAGES bodies; returns them by message group in send order ("" unordered)."""
    sent: dict[str, list[str]] = {}
    for start in range(0, MESSAGES, 10):
        entries = []
        for i in range(start, start + 10):
            entry = {"Id": str(i), "MessageBody": f"m{i}"}
            group = f"g{i % GROUPS}" if fifo else ""
            if fifo:
                entry |= {"MessageGroupId": group, "MessageDeduplicationId": str(i)}
            entries.append(entry)
            sent.setdefault(group, []).append(f"m{i}")
        assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 10
    return sent


@pytest.mark.timeout(180)
def test_no_message_is_lost_and_fifo_order_holds_after_kill_9(tmp_path: Path) -> None:
    server: Server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    log = tmp_path / "seen.jsonl"
    try:
        lam, sqs = server.client("lambda"), server.client("sqs")
        name = create(lam, HANDLER, Environment={"Variables": {"LOG": str(log)}})
        sent: dict[str, dict[str, list[str]]] = {}
        for queue, attributes in (("std", {}), ("ord.fifo", {"FifoQueue": "true"})):
            url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
            sent[queue] = _fill(sqs, url, queue.endswith(".fifo"))
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            lam.create_event_source_mapping(
                FunctionName=name, EventSourceArn=arn["Attributes"]["QueueArn"], BatchSize=10
            )
        deadline = time.monotonic() + 30
        while len(_seen(log)) < MESSAGES // 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.kill()  # SIGKILL mid-processing: no shutdown, no flush
        server.process.wait()
        before = len(_seen(log))
        assert 0 < before < 2 * MESSAGES
        server = start_server(tmp_path, "--no-example", "--clock", "virtual")
        for _ in range(5):  # what was in flight comes back after its visibility timeout
            drain(server.endpoint)
            advance(server.endpoint, 60)
        drain(server.endpoint)
    finally:
        stop_server(server)
    first_seen: dict[str, dict[str, list[str]]] = {}
    known: set[tuple[str, str]] = set()
    for queue, group, body in _seen(log):
        if (queue, body) not in known:
            known.add((queue, body))
            first_seen.setdefault(queue, {}).setdefault(group, []).append(body)
    standard = first_seen["std"][""]
    assert sorted(standard) == sorted(sent["std"][""])  # nothing lost, any order
    assert first_seen["ord.fifo"] == sent["ord.fifo"]  # nothing lost, each group in order
    print(f"sqs crash test: {before} before the kill, {len(_seen(log))} in all")

"""An SQS mapping's statistics, as GET /_lambdalite/mapping-stats and `lambdalite mappings`
show them: batches, errors, queue depth, the time split and the recent batches."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.conftest import Server, start_server, stop_server
from tests.acceptance.test_esm_sqs import Queue, Recorder, mapping, settle


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("esm-sqs-stats"), "--no-example", "--clock", "virtual"
    )
    yield server
    stop_server(server)


def _mappings(srv: Server, *args: str) -> list[str]:
    env = {**os.environ, "LAMBDALITE_ENDPOINT": srv.endpoint}
    command = [sys.executable, "-m", "lambdalite.cli.main", "mappings", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_stats_count_batches_errors_and_the_queue_depth(srv: Server, tmp_path: Path) -> None:
    lam, sqs = srv.client("lambda"), srv.client("sqs")
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    uid = mapping(lam, fn.name, q, BatchSize=1)
    settle(srv)
    q.send("a", "b")
    settle(srv)
    q.send("fail-1")  # raises: stays in flight until its visibility timeout
    settle(srv)
    lam.update_event_source_mapping(UUID=uid, Enabled=False)
    settle(srv)
    q.send("c", "d", "e")  # waits in the queue
    stats = httpx.get(f"{srv.endpoint}/_lambdalite/mapping-stats").json()[uid]
    assert (stats["Batches"], stats["Errors"], stats["Throttles"], stats["Records"]) == (3, 1, 0, 2)
    assert stats["QueueDepth"] == 3
    assert set(stats["Seconds"]) == {"Polling", "Invoking", "Deleting"}
    assert stats["Seconds"]["Invoking"] > 0
    assert [b["Outcome"] for b in stats["RecentBatches"]] == ["success", "success", "failed"]
    assert [b["Deleted"] for b in stats["RecentBatches"]] == [1, 1, 0]

    header, row = _mappings(srv, "--source", q.arn)
    assert header.split()[4:8] == ["BATCHES", "ERRORS", "AGE", "MS/DEPTH"]
    assert row.split()[3:7] == ["Disabled", "3", "1", "3"]
    shown = _mappings(srv, uid)
    assert f"{'QueueDepth':<32}3" in shown and f"{'Errors':<32}1" in shown
    assert any(line.startswith("Deleting seconds") for line in shown)
    table = shown[shown.index("Recent batches:") + 1 :]
    assert table[0].split() == [
        "AT",
        "OUTCOME",
        "RECORDS",
        "DELETED",
        "FIRST",
        "MESSAGE",
        "ID",
        "LAST",
        "MESSAGE",
        "ID",
    ]
    assert [line.split()[1] for line in table[1:]] == ["success", "success", "failed"]

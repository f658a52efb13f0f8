"""kill -9 under a running Kinesis mapping, then a restart on the same data: every record is
processed at least once, and the order of first-seen records holds per shard (per partition
key with ParallelizationFactor > 1). Duplicates are allowed, losses are not."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

RECORDS = 600
HANDLER = """
import json, os, time

def handler(event, context):
    time.sleep(0.01)
    with open(os.environ["LOG"], "a") as f:
        for r in event["Records"]:
            k = r["kinesis"]
            row = [r["eventID"].split(":")[0], k["partitionKey"], k["sequenceNumber"]]
            f.write(json.dumps(row) + "\\n")
"""


def _seen(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.endswith("]")]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("factor", [1, 3])
def test_no_record_is_lost_and_order_holds_after_kill_9(tmp_path: Path, factor: int) -> None:
    server: Server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    log = tmp_path / "seen.jsonl"
    try:
        lam, kinesis = server.client("lambda"), server.client("kinesis")
        kinesis.create_stream(StreamName="crash", ShardCount=2)
        kinesis.get_waiter("stream_exists").wait(StreamName="crash", WaiterConfig={"Delay": 0.05})
        sent: dict[tuple[str, str], list[str]] = {}
        for start in range(0, RECORDS, 500):
            entries = [
                {"Data": str(i).encode(), "PartitionKey": f"key-{i % 17}"}
                for i in range(start, min(start + 500, RECORDS))
            ]
            out = kinesis.put_records(StreamName="crash", Records=entries)["Records"]
            for entry, result in zip(entries, out, strict=True):
                group = (result["ShardId"], entry["PartitionKey"] if factor > 1 else "")
                sent.setdefault(group, []).append(result["SequenceNumber"])
        name = create(lam, HANDLER, Environment={"Variables": {"LOG": str(log)}})
        lam.create_event_source_mapping(
            FunctionName=name, EventSourceArn=kinesis.describe_stream_summary(
                StreamName="crash")["StreamDescriptionSummary"]["StreamARN"],
            StartingPosition="TRIM_HORIZON", BatchSize=10, ParallelizationFactor=factor,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while len(_seen(log)) < RECORDS // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.kill()  # SIGKILL mid-stream: no shutdown, no flush
        server.process.wait()
        before = len(_seen(log))
        assert 0 < before < RECORDS
        server = start_server(tmp_path, "--no-example", "--clock", "virtual")
        drain(server.endpoint)
    finally:
        stop_server(server)
    first_seen: dict[tuple[str, str], list[str]] = {}
    known: set[str] = set()
    for shard, key, seq in _seen(log):
        if seq not in known:
            known.add(seq)
            first_seen.setdefault((shard, key if factor > 1 else ""), []).append(seq)
    assert first_seen == sent  # nothing lost, and each group's first sightings in order
    print(f"crash test (factor {factor}): {before} before the kill, {len(_seen(log))} in all")

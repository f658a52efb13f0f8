"""SnapStart and provisioned environments in the SandboxPool, against real processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambdalite.sandbox.errors import SnapshotInitError
from tests.integration.test_sandbox import Harness, make_spec, request


@pytest.fixture
def harness() -> Any:
    # The marks file lives in the test's /tmp; no spare restores unless a test asks.
    h = Harness(private_tmp=False, snapstart_spares=0)
    yield h
    h.close()


@pytest.fixture
def spare_harness() -> Any:
    h = Harness(private_tmp=False)  # the default: one spare restore per snapshot
    yield h
    h.close()


def marks(path: Path) -> list[tuple[str, int]]:
    lines = path.read_text().split("\n") if path.exists() else []
    return [(w, int(p)) for w, p in (line.split() for line in lines if line)]


def test_restored_environments_skip_init_and_run_hooks_in_order(
    harness: Harness, tmp_path: Path
) -> None:
    mark_file = tmp_path / "marks"
    spec = make_spec(
        "app.handler", "snapstart", function_version="1", snap_start=True,
        environment={"MARKS": str(mark_file)},
    )  # fmt: skip
    harness.run(harness.pool.snapshot(spec))
    snap_pid = harness.pool.stats().snapshots[spec.key]
    # before-snapshot hooks: in reverse order of registration, once, in the snapshot.
    assert marks(mark_file)[:3] == [
        ("init", snap_pid),
        ("before-2", snap_pid),
        ("before-1", snap_pid),
    ]
    first = harness.invoke(spec)
    body = json.loads(first.payload)
    assert first.function_error is None, first.payload
    assert body["init_type"] == "snap-start" and body["stream"] is None
    assert first.init_duration_ms is None and first.restore_duration_ms is not None
    assert "Restore Duration:" in first.log_tail and "Init Duration" not in first.log_tail
    env_pid = body["pid"]
    assert env_pid != snap_pid
    assert [w for w, p in marks(mark_file) if p == env_pid] == ["after-1", "after-2-x", "handler"]
    second = harness.invoke(spec)  # warm: nothing restored again
    assert second.restore_duration_ms is None and json.loads(second.payload)["calls"] == 2
    assert [w for w, _ in marks(mark_file)].count("init") == 1


def test_before_snapshot_failure_is_reported(harness: Harness, tmp_path: Path) -> None:
    spec = make_spec(
        "app.handler", "snapstart", function_version="1", snap_start=True,
        environment={"MARKS": str(tmp_path / "m"), "FAIL": "before"},
    )  # fmt: skip
    with pytest.raises(SnapshotInitError) as info:
        harness.run(harness.pool.snapshot(spec))
    assert info.value.error_type == "Runtime.BeforeSnapshotError"
    assert "cannot snapshot" in info.value.doc["errorMessage"]
    assert spec.key not in harness.pool.stats().snapshots


def test_after_restore_failure_fails_the_invocation(harness: Harness, tmp_path: Path) -> None:
    spec = make_spec(
        "app.handler", "snapstart", function_version="1", snap_start=True,
        environment={"MARKS": str(tmp_path / "m"), "FAIL": "after"},
    )  # fmt: skip
    harness.run(harness.pool.snapshot(spec))
    result = harness.invoke(spec)
    assert result.restore_failed
    assert json.loads(result.payload)["errorType"] == "Runtime.AfterRestoreError"
    assert "RESTORE_REPORT" in " ".join(harness.sink.messages(spec.function_name))


def test_provisioned_environments_are_initialised_ahead(harness: Harness, tmp_path: Path) -> None:
    spec = make_spec(
        "app.handler", "snapstart", function_version="2",
        environment={"MARKS": str(tmp_path / "m")},
    )  # fmt: skip
    done = harness.run(harness.pool.provision(spec, "2", 2))
    assert done.allocated == 2 and done.failure is None
    assert harness.pool.stats().provisioned == 2
    result = harness.run(harness.pool.invoke(spec, request(spec), provisioned="2"))
    body = json.loads(result.payload)
    assert result.init_duration_ms is None and body["init_type"] == "provisioned-concurrency"
    cold = harness.invoke(spec)  # not provisioned: an on-demand cold start
    assert cold.init_duration_ms is not None
    assert json.loads(cold.payload)["init_type"] == "on-demand"
    harness.pool.retire(spec.function_name)
    assert harness.pool.provisioned_count(spec.key, "2") == 2  # retirement spares them
    assert harness.run(harness.pool.provision(spec, "2", 0)).allocated == 0
    assert harness.pool.stats().provisioned == 0


def test_a_spare_restore_serves_the_next_cold_start(spare_harness: Harness, tmp_path: Path) -> None:
    h, mark_file = spare_harness, tmp_path / "marks"
    spec = make_spec(
        "app.handler", "snapstart", function_version="1", snap_start=True,
        environment={"MARKS": str(mark_file)},
    )  # fmt: skip
    h.run(h.pool.snapshot(spec))
    snapshot_streams = set(h.sink.streams)  # the snapshot's INIT_START and INIT_REPORT
    h.run(h.pool.settle())  # the spare is restored: its hooks ran, its lines are held
    spare_pid = marks(mark_file)[-1][1]
    assert [w for w, p in marks(mark_file) if p == spare_pid] == ["after-1", "after-2-x"]
    assert set(h.sink.streams) == snapshot_streams  # no log stream before it is used
    first = h.invoke(spec)
    body = json.loads(first.payload)
    assert body["pid"] == spare_pid and body["init_type"] == "snap-start"
    # Its REPORT gives the restore it really took, after its RESTORE_REPORT, in one stream.
    assert first.restore_duration_ms is not None and first.restore_duration_ms > 0
    assert f"Restore Duration: {first.restore_duration_ms:.2f} ms" in first.log_tail
    (stream,) = set(h.sink.streams) - snapshot_streams
    lines = h.sink.streams[stream]
    assert [line.split()[0] for line in lines if line.startswith(("RESTORE", "START", "END"))] == [
        "RESTORE_START", "RESTORE_REPORT", "START", "END",
    ]  # fmt: skip
    # Taking it restored the next spare; its hooks run once, in it, and never again.
    h.run(h.pool.settle())
    h.pool.retire(spec.function_name)  # the used environment goes; the spare stays
    second = h.invoke(spec)
    second_pid = json.loads(second.payload)["pid"]
    assert second_pid != spare_pid and second.restore_duration_ms is not None
    assert [w for w, p in marks(mark_file) if p == second_pid] == [
        "after-1", "after-2-x", "handler",
    ]  # fmt: skip
    assert [w for w, _ in marks(mark_file)].count("init") == 1
    # Deleting the version stops its snapshot and the spare restored from it.
    h.run(h.pool.settle())
    spare = next(iter(h.pool.spares._spares[spec.key]))
    h.run(h.pool.drop_snapshots(spec.function_name, "1"))
    assert spare.state.value == "dead"
    assert spec.key not in h.pool.spares._spares


def test_a_failed_spare_restore_is_silent_and_not_retried(
    spare_harness: Harness, tmp_path: Path
) -> None:
    h, mark_file = spare_harness, tmp_path / "m"
    spec = make_spec(
        "app.handler", "snapstart", function_version="1", snap_start=True,
        environment={"MARKS": str(mark_file), "FAIL": "after"},
    )  # fmt: skip
    h.run(h.pool.snapshot(spec))
    snapshot_streams = set(h.sink.streams)
    h.run(h.pool.settle())
    assert [w for w, _ in marks(mark_file)].count("after-2-x") == 1  # the spare's, failed
    assert set(h.sink.streams) == snapshot_streams  # nobody saw it
    result = h.invoke(spec)  # restored on demand: the invocation reports the failure
    assert result.restore_failed
    h.run(h.pool.settle())
    assert [w for w, _ in marks(mark_file)].count("after-2-x") == 2  # no new spare tried

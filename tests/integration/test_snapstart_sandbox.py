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
    h = Harness(private_tmp=False)  # the marks file lives in the test's /tmp
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
    assert marks(mark_file) == [("init", snap_pid), ("before-2", snap_pid), ("before-1", snap_pid)]
    first = harness.invoke(spec)
    body = json.loads(first.payload)
    assert first.function_error is None, first.payload
    assert body["init_type"] == "snap-start" and body["stream"] is None
    assert first.init_duration_ms is None and first.restore_duration_ms is not None
    assert "Restore Duration:" in first.log_tail and "Init Duration" not in first.log_tail
    env_pid = body["pid"]
    assert env_pid != snap_pid
    assert marks(mark_file)[3:] == [
        ("after-1", env_pid),
        ("after-2-x", env_pid),
        ("handler", env_pid),
    ]
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

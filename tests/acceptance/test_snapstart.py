"""SnapStart for Python published versions, through boto3 against a real server."""

from __future__ import annotations

import base64
import json
import os
import select
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import WaiterError

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import FUNCTIONS, Server, create, start_server, stop_server

SOURCE = (FUNCTIONS / "snapstart" / "app.py").read_text()
GATED = "import os\nopen(os.environ['GATE']).read()  # blocks until the test opens the FIFO\n"


def wait_version(lam: Any, name: str, version: str) -> dict[str, Any]:
    lam.get_waiter("published_version_active").wait(
        FunctionName=name, Qualifier=version, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
    )
    return lam.get_function_configuration(FunctionName=name, Qualifier=version)  # type: ignore[no-any-return]


def marks(path: Path) -> list[tuple[str, int]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [(w, int(p)) for w, p in (line.split() for line in lines)]


def invoke(
    lam: Any, name: str, qualifier: str, event: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    payload = json.dumps(event or {})
    out = lam.invoke(FunctionName=name, Qualifier=qualifier, LogType="Tail", Payload=payload)
    return json.loads(out["Payload"].read()), base64.b64decode(out["LogResult"]).decode()


def snap(tmp_path: Path, **env: str) -> dict[str, Any]:
    return {
        "Runtime": "python3.12",
        "SnapStart": {"ApplyOn": "PublishedVersions"},
        "Environment": {"Variables": {"MARKS": str(tmp_path / "marks"), **env}},
    }


def test_snapstart_config_and_hooks(lam: Any, tmp_path: Path) -> None:
    name = create(lam, SOURCE, **snap(tmp_path))
    latest = lam.get_function_configuration(FunctionName=name)
    assert latest["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    version = lam.publish_version(FunctionName=name)
    assert version["State"] == "Pending"
    assert version["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    config = wait_version(lam, name, version["Version"])
    assert config["State"] == "Active"
    seen = marks(tmp_path / "marks")
    snap_pid = seen[0][1]
    # Reverse registration (a spare restore's after-restore hooks may follow: spares.py).
    assert [w for w, p in seen if p == snap_pid] == ["init", "before-2", "before-1"]
    # Two new environments at once: each restored from the snapshot, none re-runs init.
    results: list[Any] = []
    meet = tmp_path / "meet"
    meet.mkdir()
    both = {"meet": str(meet), "count": 2}  # each holds until the other is in: two environments
    threads = [
        threading.Thread(target=lambda: results.append(invoke(lam, name, "1", both)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for body, tail in results:
        assert body["init_type"] == "snap-start"
        assert body["init_at"] == results[0][0]["init_at"]  # module state from the snapshot
        assert body["pid"] != snap_pid
        assert "Restore Duration:" in tail and "Billed Restore Duration:" in tail
        assert "Init Duration" not in tail
    seen = marks(tmp_path / "marks")
    assert [w for w, _ in seen].count("init") == 1
    for body, _ in results:
        mine = [w for w, p in seen if p == body["pid"]]
        assert mine[:3] == ["after-1", "after-2-x", "handler"]
    warm, tail = invoke(lam, name, "1")
    assert "Restore Duration" not in tail
    # $LATEST is not optimised: an ordinary cold start, with init.
    body, tail = invoke(lam, name, "$LATEST")
    assert body["init_type"] == "on-demand" and "Init Duration" in tail


def test_invoke_before_ready_is_not_ready(lam: Any, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    name = create(lam, GATED + SOURCE, **snap(tmp_path, GATE=str(gate)), wait=False)
    # $LATEST's own init is not run at create; only the publish snapshots.
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    version = lam.publish_version(FunctionName=name)["Version"]
    with pytest.raises(lam.exceptions.SnapStartNotReadyException) as info:
        lam.invoke(FunctionName=name, Qualifier=version)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with open(gate, "w"):
        pass  # let the snapshot's init go on
    assert wait_version(lam, name, version)["State"] == "Active"
    assert lam.invoke(FunctionName=name, Qualifier=version)["StatusCode"] == 200


def test_before_snapshot_failure_fails_the_version(lam: Any, tmp_path: Path) -> None:
    name = create(lam, SOURCE, **snap(tmp_path, FAIL="before"))
    version = lam.publish_version(FunctionName=name)["Version"]
    with pytest.raises(WaiterError):  # the waiter's failure state: State Failed
        wait_version(lam, name, version)
    config = lam.get_function_configuration(FunctionName=name, Qualifier=version)
    assert config["State"] == "Failed"
    assert config["StateReasonCode"] == "FunctionError"
    assert "Runtime.BeforeSnapshotError" in config["StateReason"]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.invoke(FunctionName=name, Qualifier=version)


def test_after_restore_failure_is_snapstart_exception(lam: Any, tmp_path: Path) -> None:
    name = create(lam, SOURCE, **snap(tmp_path, FAIL="after"))
    version = lam.publish_version(FunctionName=name)["Version"]
    wait_version(lam, name, version)
    with pytest.raises(lam.exceptions.SnapStartException) as info:
        lam.invoke(FunctionName=name, Qualifier=version)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Runtime.AfterRestoreError" in info.value.response["Error"]["Message"]
    assert lam.get_function(FunctionName=name)  # the server keeps serving


def test_unsupported_runtime_and_bad_value(lam: Any, tmp_path: Path) -> None:
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        create(lam, SOURCE, **{**snap(tmp_path), "Runtime": "python3.11"})
    assert "python3.11 is not supported for SnapStart" in str(info.value)
    name = create(lam, SOURCE, Runtime="python3.11")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(
            FunctionName=name, SnapStart={"ApplyOn": "PublishedVersions"}
        )


def test_deleting_the_version_stops_its_snapshot(lam: Any, server: Any, tmp_path: Path) -> None:
    name = create(lam, SOURCE, **snap(tmp_path))
    version = lam.publish_version(FunctionName=name)["Version"]
    wait_version(lam, name, version)
    snap_pid = marks(tmp_path / "marks")[0][1]
    body, _ = invoke(lam, name, version)
    lam.delete_function(FunctionName=name, Qualifier=version)
    for pid in (snap_pid, body["pid"]):  # the snapshot and the environments forked from it
        assert _gone(pid)


def _gone(pid: int) -> bool:
    """The process exits once its channel closes: its pidfd turns readable (no sleeping)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], 10)[0])  # readable when it exits
    finally:
        os.close(fd)


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_server(tmp_path_factory.mktemp("snapv"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


def test_an_event_for_a_pending_version_is_retried_once_it_is_active(
    vserver: Server, tmp_path: Path
) -> None:
    lam = vserver.client("lambda")
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    name = create(lam, GATED + SOURCE, **snap(tmp_path, GATE=str(gate)), wait=False)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    version = lam.publish_version(FunctionName=name)["Version"]
    # No function-error retries: the not-ready attempts must not count against them.
    lam.put_function_event_invoke_config(
        FunctionName=name, Qualifier=version, MaximumRetryAttempts=0
    )
    out = lam.invoke(FunctionName=name, Qualifier=version, InvocationType="Event", Payload=b"{}")
    assert out["StatusCode"] == 202  # accepted while Pending: the queue waits for it
    rid = out["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    first = _first_attempt(vserver, rid)  # made at once, while the snapshot is being made
    assert first["outcome"] == "SystemError"
    assert "SnapStartNotReadyException" in first["detail"]
    with open(gate, "w"):
        pass  # the snapshot's init goes on
    wait_version(lam, name, version)
    advance(vserver.endpoint, 1)  # the not-ready backoff's first step
    drain(vserver.endpoint)
    doc = _journey(vserver, rid)
    assert doc["state"] == "done" and doc["condition"] == "Success"
    assert [j["outcome"] for j in doc["journal"] if j["kind"] == "attempt"] == [
        "SystemError",
        "Success",
    ]
    assert [w for w, _ in marks(tmp_path / "marks")].count("handler") == 1


def _journey(server: Server, request_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.endpoint}/_lambdalite/async-events", params={"request-id": request_id})
    r.raise_for_status()
    return dict(r.json())


def _first_attempt(server: Server, request_id: str) -> dict[str, Any]:
    """The event's first attempt, which the queue makes on its own as soon as it is
    accepted (a drain would wait for the snapshot, which the test holds): read its journey
    until it is there, a bounded number of times."""
    for _ in range(5000):
        doc = _journey(server, request_id)
        attempts = [j for j in doc.get("journal", []) if j["kind"] == "attempt"]
        if attempts:
            return attempts[0]
    raise AssertionError(f"no attempt of {request_id}: {doc}")

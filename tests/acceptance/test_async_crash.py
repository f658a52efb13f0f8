"""kill -9 in the middle of a burst of Event invocations: after a restart on the same data
directory every accepted (202) event still ends in exactly one place (spec 3.2, durability)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, create, start_server, stop_server
from tests.acceptance.test_async_invoke import RECORDER, advance

TARGET = """
import time
def handler(event, context):
    if event["mode"] == "fail":
        raise RuntimeError("planned failure %d" % event["i"])
    if event["mode"] == "slow":
        time.sleep(0.05)
    return event["i"]
"""
TOTAL = 2400
THREADS = 8
KILL_AFTER = 900  # accepted events before the server is killed


def _recorded(directory: Path) -> dict[str, str]:
    """request id of the original event -> condition, from every record received."""
    out: dict[str, str] = {}
    for path in directory.glob("*.json"):
        try:
            context = json.loads(path.read_text())["requestContext"]
        except (ValueError, KeyError):
            continue
        out[context["requestId"]] = context["condition"]
    return out


def _send(
    endpoint: str, name: str, indices: range, accepted: dict[str, str], stop: threading.Event
) -> None:
    with httpx.Client(timeout=5) as client:
        for i in indices:
            if stop.is_set():
                return
            mode = ("ok", "fail", "slow")[i % 3]
            try:
                r = client.post(
                    f"{endpoint}/2015-03-31/functions/{name}/invocations",
                    headers={"X-Amz-Invocation-Type": "Event"},
                    content=json.dumps({"i": i, "mode": mode}),
                )
            except httpx.HTTPError:
                return  # the server is gone: this request was never acknowledged
            if r.status_code == 202:
                accepted[r.headers["x-amzn-requestid"]] = mode


@pytest.mark.timeout(60)
def test_every_accepted_event_ends_exactly_once_after_kill_9(tmp_path: Path) -> None:
    server: Server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        lam = server.client("lambda")
        ok_dir, fail_dir = tmp_path / "ok", tmp_path / "fail"
        ok_dir.mkdir(), fail_dir.mkdir()
        on_success = create(lam, RECORDER, Environment={"Variables": {"OUT": str(ok_dir)}})
        on_failure = create(lam, RECORDER, Environment={"Variables": {"OUT": str(fail_dir)}})
        target = create(lam, TARGET)
        arn = lam.get_function(FunctionName=on_success)["Configuration"]["FunctionArn"]
        lam.put_function_event_invoke_config(
            FunctionName=target,
            DestinationConfig={
                "OnSuccess": {"Destination": arn},
                "OnFailure": {"Destination": arn.replace(on_success, on_failure)},
            },
        )
        accepted: dict[str, str] = {}
        stop = threading.Event()
        per = TOTAL // THREADS
        threads = [
            threading.Thread(
                target=_send,
                args=(server.endpoint, target, range(t * per, (t + 1) * per), accepted, stop),
            )
            for t in range(THREADS)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(accepted) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.005)
        server.process.kill()  # SIGKILL: no shutdown, no flush
        server.process.wait()
        stop.set()
        for t in threads:
            t.join()
        assert len(accepted) >= KILL_AFTER
        assert not all(mode == "ok" for mode in accepted.values())

        t_kill = time.monotonic()
        server = start_server(tmp_path, "--no-example", "--clock", "virtual")
        t_restart = time.monotonic()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ok, failed = _recorded(ok_dir), _recorded(fail_dir)
            if set(accepted) <= set(ok) | set(failed):
                break
            advance(server, 60)  # the next retries fall due
            drain(server.endpoint)
        ok, failed = _recorded(ok_dir), _recorded(fail_dir)
        missing = set(accepted) - set(ok) - set(failed)
        assert not missing, f"{len(missing)} accepted events were lost, e.g. {sorted(missing)[:3]}"
        assert not set(ok) & set(failed), "an event ended both as success and as failure"
        for rid, mode in accepted.items():
            if mode == "fail":
                assert failed[rid] == "RetriesExhausted"
            else:
                assert ok[rid] == "Success"
        counts: dict[str, Any] = {"accepted": len(accepted), "ok": len(ok), "failed": len(failed)}
        counts["restart_s"] = round(t_restart - t_kill, 2)
        counts["drain_s"] = round(time.monotonic() - t_restart, 2)
        print(f"crash test: {counts}")
    finally:
        stop_server(server)

"""Server lifecycle: SIGTERM drains in-flight invocations and stops every environment."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.acceptance.conftest import create, start_server, stop_server

SLOW = (
    "import time, os\ndef handler(event, context):\n"
    "    if 'mark' in event:\n        open(event['mark'], 'w').close()\n"
    "    time.sleep(event.get('sleep', 0))\n    return os.getpid()\n"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is as good as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_sigterm_lets_in_flight_finish_then_stops_environments(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example", env={"LAMBDALITE_SHUTDOWN_GRACE": "10"})
    try:
        lam = server.client()
        name = create(lam, SLOW, Timeout=30)
        warm_pid = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
        result: dict[str, Any] = {}

        def slow_call() -> None:
            response = httpx.post(
                f"{server.endpoint}/2015-03-31/functions/{name}/invocations",
                content=json.dumps({"sleep": 1.5, "mark": str(started)}).encode(),
                timeout=30,
            )
            result["status"] = response.status_code
            result["body"] = response.json()

        started = tmp_path / "started"
        caller = threading.Thread(target=slow_call)
        caller.start()
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # a condition: the slow call is running in its environment
        assert started.exists()
        server.process.send_signal(signal.SIGTERM)
        caller.join(timeout=30)
        # uvicorn re-raises the captured SIGTERM once it has shut down gracefully
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert result["status"] == 200
        assert isinstance(result["body"], int)
        assert not _alive(warm_pid)
        assert not _alive(result["body"])
    finally:
        stop_server(server)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example")
    try:
        name = create(server.client(), SLOW)
        server.client().publish_version(FunctionName=name)
    finally:
        stop_server(server)
    again = start_server(tmp_path, "--no-example")
    try:
        lam = again.client()
        assert [
            v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]
        ] == ["$LATEST", "1"]
        assert lam.invoke(FunctionName=name, Qualifier="1")["StatusCode"] == 200
    finally:
        stop_server(again)


def test_account_limit_throttles_unreserved_functions(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example", "--account-concurrency", "1")
    try:
        name = create(server.client(), SLOW, Timeout=10)
        url = f"{server.endpoint}/2015-03-31/functions/{name}/invocations"
        responses: list[httpx.Response] = []

        def call() -> None:
            responses.append(httpx.post(url, content=b'{"sleep": 1.0}', timeout=30))

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        throttled = [r for r in responses if r.status_code == 429]
        assert len(throttled) == 1
        assert throttled[0].json()["Reason"] == "ConcurrentInvocationLimitExceeded"
    finally:
        stop_server(server)


def test_virtual_clock_moves_only_when_told(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        url = f"{server.endpoint}/_lambdalite/clock"
        before = httpx.get(url).json()
        assert before["virtual"] is True
        time.sleep(0.2)
        assert httpx.get(url).json()["now"] == before["now"]
        moved = httpx.post(url, json={"advance": 3600}).json()
        assert moved["now"] == before["now"] + 3600
        bad = httpx.post(url, json={"advance": -5})
        assert bad.status_code == 400
    finally:
        stop_server(server)


def test_system_clock_cannot_be_advanced(server: Any) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/clock", json={"advance": 1})
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "InvalidParameterValueException"


def test_readme_first_command_serves_the_example_from_a_relative_data_dir(tmp_path: Path) -> None:
    """`lambdalite serve` with no flags: data in ./.lambdalite, example 'hello' deployed."""
    import subprocess
    import sys

    from lambdalite.testing import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDALITE_")}
    env["LAMBDALITE_PORT"] = str(port)
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lambdalite.cli.main", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/_lambdalite/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        response = httpx.post(
            f"{url}/2015-03-31/functions/hello/invocations", content=b'{"name": "Ada"}', timeout=30
        )
        assert response.status_code == 200
        assert "x-amz-function-error" not in response.headers, response.text
        assert response.json()["message"] == "Hello, Ada!"
        assert (tmp_path / ".lambdalite" / "lambdalite.sqlite3").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

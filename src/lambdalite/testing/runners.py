"""Starting a lambdalite server on a virtual clock with a template deployed, for the test
harness: in a thread of the test process (fast, one interpreter) or as a `lambdalite up`
subprocess (what a user runs by hand). Both listen on free ports with their own data dir.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lambdalite.testing.server import free_port

START_TIMEOUT_S = 60.0
DEPLOY_TIMEOUT_S = 600.0  # a first deploy may pip-install a function's requirements
STOP_TIMEOUT_S = 30.0
_POLL_S = 0.02  # neither uvicorn nor `up` offers an event for "listening"


class DeployFailed(RuntimeError):
    """The template did not deploy; the message has the server's account of why."""


@dataclass
class Running:
    """A started server: where it answers, what its deploy printed, how to stop it."""

    endpoint: str
    gateway_url: str
    progress: list[str]
    stop: Callable[[], None]
    log_path: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Launch:
    """What to start: the template, the stack's name and parameters, and the data dir."""

    template: Path
    stack_name: str
    workdir: Path
    parameters: Mapping[str, str] = field(default_factory=dict)
    extensions: bool = False


def start_in_process(launch: Launch) -> Running:
    """uvicorn in a daemon thread of this process; the deploy through the stacks route."""
    import uvicorn

    from lambdalite.config import Settings
    from lambdalite.server import uvicorn_config

    settings = Settings(
        port=free_port(),
        data_dir=launch.workdir / "data",
        clock="virtual",
        deploy_example=False,
        extensions=launch.extensions,
        gateway_port=free_port(),
    )
    server = uvicorn.Server(uvicorn_config(settings))
    thread = threading.Thread(target=server.run, name="lambdalite-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-process lambdalite server did not start")
        time.sleep(_POLL_S)

    def stop() -> None:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)

    endpoint = f"http://127.0.0.1:{settings.port}"
    running = Running(endpoint, f"http://127.0.0.1:{settings.gateway_port}", [], stop)
    try:
        running.progress.extend(deploy(endpoint, launch))
    except BaseException:
        stop()
        raise
    return running


def deploy(endpoint: str, launch: Launch) -> list[str]:
    """Deploy (or update) the stack through a running server; its progress lines."""
    body = {
        "Template": str(launch.template.resolve()),
        "StackName": launch.stack_name,
        "Parameters": dict(launch.parameters),
    }
    response = httpx.post(f"{endpoint}/_lambdalite/stacks", json=body, timeout=DEPLOY_TIMEOUT_S)
    doc = response.json()
    if response.status_code != 200:
        lines = "\n".join(doc.get("Progress") or [])
        message = doc.get("Message") or doc.get("message") or response.text
        raise DeployFailed(f"{launch.template} did not deploy: {message}\n{lines}".rstrip())
    return list(doc.get("Progress") or [])


def start_subprocess(launch: Launch) -> Running:
    """`python -m lambdalite.cli.main up TEMPLATE --clock virtual` in its own process."""
    port, gateway_port = free_port(), free_port()
    log_path = launch.workdir / "lambdalite-up.log"
    env = {
        **os.environ,
        "LAMBDALITE_PORT": str(port),
        "LAMBDALITE_GATEWAY_PORT": str(gateway_port),
        "LAMBDALITE_DATA_DIR": str(launch.workdir / "data"),
    }
    command = [
        sys.executable, "-m", "lambdalite.cli.main", "up", str(launch.template.resolve()),
        "--stack-name", launch.stack_name, "--clock", "virtual", "--no-example",
        *(["--extensions"] if launch.extensions else []),
        *(f"--parameter-overrides={k}={v}" for k, v in launch.parameters.items()),
    ]  # fmt: skip
    with open(log_path, "wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)

    def stop() -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    try:
        lines = _wait_serving(process, log_path)
    except BaseException:
        stop()
        raise
    endpoint = f"http://127.0.0.1:{port}"
    return Running(endpoint, f"http://127.0.0.1:{gateway_port}", lines, stop, log_path)


def _wait_serving(process: subprocess.Popen[bytes], log_path: Path) -> list[str]:
    """The lines `up` printed up to "Serving on"; DeployFailed if it reported an error."""
    deadline = time.monotonic() + START_TIMEOUT_S + DEPLOY_TIMEOUT_S
    while True:
        text = log_path.read_text(errors="replace")
        if "Serving on " in text:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            raise DeployFailed(f"lambdalite up did not start serving:\n{text}")
        time.sleep(_POLL_S)
    lines = text.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    if errors:
        raise DeployFailed("\n".join(lines))
    return lines


RUNNERS: dict[str, Callable[[Launch], Running]] = {
    "inprocess": start_in_process,
    "subprocess": start_subprocess,
}

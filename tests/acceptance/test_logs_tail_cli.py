"""`aws logs tail` and `aws logs tail --follow` from the real aws CLI v2 (Debian's awscli
package; PyPI has only v1, which has no `tail`): the lines a function prints appear, each
once, and `--follow` shows lines logged after it started."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.acceptance.conftest import Server, create, start_server, stop_server

AWS_V2 = "/usr/bin/aws"
PRINTS = "def handler(event, context):\n    print('tail-me ' + event['n'])\n    return 1\n"


def _v2() -> bool:
    if not shutil.which(AWS_V2):
        return False
    version = subprocess.run([AWS_V2, "--version"], capture_output=True, text=True)
    return version.stdout.startswith("aws-cli/2.")


pytestmark = pytest.mark.skipif(not _v2(), reason="the aws CLI v2 (Debian's awscli) is absent")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("tail"), "--no-example")
    yield server
    stop_server(server)


def _env(tmp: Any) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        "PYTHONUNBUFFERED": "1",  # the CLI writes to a pipe here: see each line at once
    }


def _invoke(srv: Server, name: str, n: str) -> None:
    response = srv.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"n": n}))
    assert "FunctionError" not in response


def test_tail_prints_each_line_once(srv: Server, tmp_path: Any) -> None:
    name = create(srv.client("lambda"), PRINTS)
    for n in ("1", "2"):
        _invoke(srv, name, n)
    group = f"/aws/lambda/{name}"
    deadline = time.monotonic() + 20  # lines reach the store within the writer's batch
    while True:
        out = subprocess.run(
            [AWS_V2, "logs", "tail", group, "--since", "1h", "--format", "short",
             "--endpoint-url", srv.endpoint],
            capture_output=True, text=True, env=_env(tmp_path), timeout=60,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        if out.stdout.count("tail-me") == 2 or time.monotonic() > deadline:
            break
    lines = out.stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in lines if "tail-me" in line] == [
        "tail-me 1",
        "tail-me 2",
    ]
    assert sum(line.split(" ", 1)[1].startswith("REPORT RequestId") for line in lines) == 2


def test_follow_shows_lines_logged_after_it_started(srv: Server, tmp_path: Any) -> None:
    name = create(srv.client("lambda"), PRINTS)
    _invoke(srv, name, "before")
    follow = subprocess.Popen(
        [AWS_V2, "logs", "tail", f"/aws/lambda/{name}", "--follow", "--since", "1h",
         "--format", "short", "--endpoint-url", srv.endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(tmp_path), bufsize=0,
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert follow.stdout is not None
        fd = follow.stdout.fileno()
        selector = selectors.DefaultSelector()
        selector.register(fd, selectors.EVENT_READ)
        pending = b""
        deadline = time.monotonic() + 30  # the CLI polls every 5 s
        invoked_after = False
        # Raw reads: a buffered reader would hold lines select() then never reports.
        while time.monotonic() < deadline and not any("tail-me after" in s for s in seen):
            if not selector.select(timeout=0.5):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            seen += [line.decode() for line in lines]
            if not invoked_after and any("tail-me before" in s for s in seen):
                _invoke(srv, name, "after")
                invoked_after = True
    finally:
        follow.kill()
        follow.communicate()
    shown = [s.split(" ", 1)[1] for s in seen if "tail-me" in s]
    assert shown == ["tail-me before", "tail-me after"], seen

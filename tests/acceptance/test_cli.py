"""The lambdalite CLI and the aws CLI, as subprocesses against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.acceptance.conftest import Server


def run(server: Server, *args: str, tool: str = "lambdalite") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LAMBDALITE_ENDPOINT": server.endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = (
        [sys.executable, "-m", "lambdalite.cli.main", *args]
        if tool == "lambdalite"
        else ["aws", "--endpoint-url", server.endpoint, *args]
    )
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_deploy_invoke_functions_logs(server: Server, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(
        "def handler(event, context):\n    print('cli-log-line', event)\n"
        "    return {'got': event}\n"
    )
    created = run(
        server,
        "deploy",
        "cli-fn",
        "--code",
        str(code),
        "--handler",
        "app.handler",
        "--env",
        "COLOR=blue",
        "--timeout",
        "5",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(
        "created arn:aws:lambda:us-east-1:000000000000:function:cli-fn"
    )

    invoked = run(server, "invoke", "cli-fn", "--payload", '{"x": 1}', "--log")
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"got": {"x": 1}}
    assert "cli-log-line" in invoked.stderr and "REPORT RequestId:" in invoked.stderr

    (code / "app.py").write_text("def handler(event, context):\n    raise KeyError('k')\n")
    updated = run(server, "deploy", "cli-fn", "--code", str(code), "--handler", "app.handler")
    assert updated.returncode == 0, updated.stderr
    assert updated.stdout.startswith("updated ")
    failed = run(server, "invoke", "cli-fn")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errorType"] == "KeyError"

    table = run(server, "functions")
    assert table.returncode == 0
    header, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["NAME", "RUNTIME", "HANDLER"]
    assert any(row.split()[0] == "cli-fn" for row in rows)

    logs = run(server, "logs", "cli-fn")
    assert logs.returncode == 0, logs.stderr
    assert "cli-log-line {'x': 1}" in logs.stdout
    assert "START RequestId:" in logs.stdout


def test_errors_are_one_line(server: Server) -> None:
    missing = run(server, "invoke", "no-such-function")
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert missing.stderr.startswith("error: ResourceNotFoundException: Function not found")
    assert "Traceback" not in missing.stderr


def test_unreachable_server_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LAMBDALITE_ENDPOINT": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-m", "lambdalite.cli.main", "functions"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot reach lambdalite at http://127.0.0.1:9")


def test_aws_cli_lists_and_invokes(server: Server, lam: Any, tmp_path: Path) -> None:
    listed = run(server, "lambda", "list-functions", tool="aws")
    assert listed.returncode == 0, listed.stderr
    names = [f["FunctionName"] for f in json.loads(listed.stdout)["Functions"]]
    assert "hello" in names
    out = tmp_path / "out.json"
    invoked = run(
        server,
        "lambda",
        "invoke",
        "--function-name",
        "hello",
        "--payload",
        '{"name": "cli"}',
        str(out),
        tool="aws",
    )
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text())["message"] == "Hello, cli!"


def test_logs_follow_prints_new_lines(server: Server, lam: Any) -> None:
    import time

    from tests.acceptance.conftest import create

    name = create(lam, "def handler(event, context):\n    print('followed', event['n'])\n")
    lam.invoke(FunctionName=name, Payload=b'{"n": 1}')  # history, printed by the first poll
    env = {**os.environ, "LAMBDALITE_ENDPOINT": server.endpoint}
    follower = subprocess.Popen(
        [sys.executable, "-m", "lambdalite.cli.main", "logs", name, "--follow"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )

    def read_until(text: str) -> str:
        deadline = time.monotonic() + 20
        seen = ""
        assert follower.stdout is not None
        while time.monotonic() < deadline and text not in seen:
            seen += follower.stdout.readline()
        return seen

    try:
        assert "followed 7" not in read_until("followed 1")  # the first poll is done
        lam.invoke(FunctionName=name, Payload=b'{"n": 7}')
        assert "followed 7" in read_until("followed 7")
    finally:
        follower.kill()
        follower.communicate()


def test_deploy_local_directory_runs_in_place(server: Server, tmp_path: Path) -> None:
    code = tmp_path / "local"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    return 'v1'\n")
    first = run(
        server, "deploy", "local-fn", "--code", str(code), "--handler", "app.handler", "--local"
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(run(server, "invoke", "local-fn").stdout) == "v1"
    # An edit within the same second: same size, same mtime (Python's .pyc check).
    source = code / "app.py"
    stamp = source.stat()
    source.write_text("def handler(event, context):\n    return 'v2'\n")
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    again = run(
        server, "deploy", "local-fn", "--code", str(code), "--handler", "app.handler", "--local"
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(run(server, "invoke", "local-fn").stdout) == "v2"
    assert not (code / "__pycache__").exists()  # the user's directory is left as it was


def test_serve_help_names_every_environment_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lambdalite.cli.main", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    for variable in (
        "LAMBDALITE_HOST",
        "LAMBDALITE_PORT",
        "LAMBDALITE_DATA_DIR",
        "LAMBDALITE_CLOCK",
        "LAMBDALITE_IDLE_TTL",
        "LAMBDALITE_SHUTDOWN_GRACE",
        "LAMBDALITE_GATEWAY_PORT",
    ):
        assert variable in result.stdout

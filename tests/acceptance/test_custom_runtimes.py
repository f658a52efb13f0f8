"""provided.al2023 / provided.al2 functions through boto3: a bash bootstrap, a compiled C
bootstrap and AWS's awslambdaric run unmodified; their logs, timeouts, errors and
throttles are those of Python functions, and the server keeps serving after each fault."""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import ROLE, Server, drain
from tests.acceptance.conftest import create
from tests.acceptance.custom_runtimes import (
    FIXTURES,
    RIC_BOOTSTRAP,
    build_c,
    install_ric,
    package,
    package_dir,
)

RAPI = FIXTURES.parent / "functions" / "rapi" / "bootstrap"
_names = iter(range(1_000_000))


def deploy(lam: Any, zip_bytes: bytes, runtime: str = "provided.al2023", **config: Any) -> str:
    name = f"custom-{os.getpid()}-{next(_names)}"
    lam.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Code={"ZipFile": zip_bytes}, **config
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


def invoke(lam: Any, name: str, payload: Any = None, **kw: Any) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kw)
    return response, json.loads(response["Payload"].read())


@pytest.fixture(scope="module")
def c_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = build_c(tmp_path_factory.mktemp("cbuild"))
    if built is None:
        pytest.skip("no gcc here")
    return built


def test_bash_bootstrap_without_handler(lam: Any) -> None:
    name = deploy(lam, package({"bootstrap": (FIXTURES / "bootstrap.sh").read_bytes()}))
    assert "Handler" not in lam.get_function_configuration(FunctionName=name)
    response, body = invoke(lam, name, {"hello": "bash"}, LogType="Tail")
    assert body == {"runtime": "bash", "event": {"hello": "bash"}}
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "handling " in tail and "\nEND RequestId: " in tail
    assert "REPORT RequestId: " in tail and "Init Duration: " in tail


def test_c_bootstrap_on_both_provided_runtimes(lam: Any, c_bootstrap: Path) -> None:
    for runtime in ("provided.al2023", "provided.al2"):
        name = deploy(lam, package({"bootstrap": c_bootstrap}), runtime, Handler="ignored")
        for n in range(3):
            response, body = invoke(lam, name, {"n": n})
            assert body == {"n": n} and "FunctionError" not in response


def test_cold_start_logs(server: Server, lam: Any, c_bootstrap: Path) -> None:
    name = deploy(lam, package({"bootstrap": c_bootstrap}))
    invoke(lam, name)
    drain(server.endpoint)
    logs = server.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    text = "".join(e["message"] for e in events)
    assert text.startswith("INIT_START Runtime Version: provided:al2023.v1\t")
    assert "START RequestId: " in text and "REPORT RequestId: " in text


def test_awslambdaric_entrypoint(lam: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    site = install_ric(tmp_path_factory.mktemp("ric"))
    if site is None:
        pytest.skip("pip cannot install awslambdaric here")
    app = (
        "def handler(event, context):\n"
        "    return {'ric': event, 'id': context.aws_request_id,\n"
        "            'left': context.get_remaining_time_in_millis() > 0}\n"
        "def fails(event, context):\n"
        "    raise ValueError('ric says no')\n"
    )
    code = package_dir(site, {"app.py": app.encode(), "bootstrap": RIC_BOOTSTRAP.encode()})
    name = deploy(lam, code, Handler="app.handler", Timeout=10)
    response, body = invoke(lam, name, {"k": 1})
    assert body["ric"] == {"k": 1} and body["left"] is True
    assert "FunctionError" not in response
    failing = deploy(lam, code, Handler="app.fails", Timeout=10)
    response, body = invoke(lam, failing)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "ric says no"
    missing = deploy(lam, code, Handler="nope.handler", Timeout=10)
    response, body = invoke(lam, missing)
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_errors_cost_only_the_environment(lam: Any, c_bootstrap: Path) -> None:
    healthy = deploy(lam, package({"bootstrap": c_bootstrap}))
    cases = {
        "exit_init": "Runtime.ExitError",
        "exit_invoke": "Runtime.ExitError",
        "init_error": "Runtime.ConfigInvalid",
        "big": "Function.ResponseSizeTooLarge",
    }
    for mode, error_type in cases.items():
        name = deploy(lam, package({"bootstrap": RAPI}), Environment={"Variables": {"MODE": mode}})
        response, body = invoke(lam, name)
        assert response["FunctionError"] == "Unhandled", mode
        assert body["errorType"] == error_type, mode
        assert invoke(lam, healthy, {"ok": mode})[1] == {"ok": mode}
    missing = deploy(lam, package({"readme.txt": b"no bootstrap"}))
    response, body = invoke(lam, missing)
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].endswith(
        "Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
    )
    flat = deploy(lam, package({"bootstrap": b"#!/bin/sh\n"}, executable=()))
    assert invoke(lam, flat)[1]["errorMessage"].endswith(
        "fork/exec /var/task/bootstrap: permission denied"
    )


def test_timeout_report_and_reserved_concurrency(server: Server, lam: Any) -> None:
    name = deploy(
        lam,
        package({"bootstrap": RAPI}),
        Timeout=1,
        Environment={"Variables": {"MODE": "sleep"}},
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    url = f"{server.endpoint}/2015-03-31/functions/{name}/invocations"
    answers: list[httpx.Response] = []

    def call() -> None:
        answers.append(httpx.post(url, content=b"{}", timeout=30))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 429, 429]
    (ran,) = [a for a in answers if a.status_code == 200]
    assert ran.json()["errorType"] == "Sandbox.Timedout"
    assert ran.json()["errorMessage"].endswith("Task timed out after 1.00 seconds")
    drain(server.endpoint)
    events = server.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")
    text = "".join(e["message"] for e in events["events"])
    assert "Task timed out after 1.00 seconds" in text and "Duration: 1000.00 ms" in text


def test_python_functions_unaffected(lam: Any) -> None:
    name = create(lam, "def handler(e, c):\n    return e\n")
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"[1]")["Payload"].read()) == [1]

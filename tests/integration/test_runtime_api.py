"""Custom runtimes (provided.al2023) against real environment processes: the Runtime API's
headers, states and errors, and every way a bootstrap can misbehave costing only its own
environment. The bootstrap is tests/fixtures/functions/rapi/bootstrap, steered by MODE."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.sandbox.outcomes import MAX_RESPONSE
from lambdalite.sandbox.types import EnvironmentSpec
from tests.integration.test_sandbox import FIXTURES, Harness, alive, doc, make_spec

RAPI = FIXTURES / "rapi"
REQUEST_ID = r"[0-9a-f-]{36}"


@pytest.fixture(scope="module")
def h() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def spec(mode: str = "echo", code_dir: Path = RAPI, **kw: Any) -> EnvironmentSpec:
    kw.setdefault("timeout_s", 3)
    return make_spec(
        "function.handler",
        runtime="provided.al2023",
        code_dir=code_dir,
        environment={"MODE": mode},
        **kw,
    )


def test_event_headers_and_environment(h: Harness) -> None:
    s = spec()
    res = h.invoke(
        s,
        {"a": 1},
        client_context='{"custom": {"k": "v"}}',
        cognito_identity='{"cognitoIdentityId": "id", "cognitoIdentityPoolId": "pool"}',
        trace_id="Root=1-5e1b4151-5ac6c58f5b5dbd6a4b7c5e1a;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert res.function_error is None
    body = doc(res)
    assert body["event"] == {"a": 1}
    headers = body["headers"]
    assert re.fullmatch(REQUEST_ID, headers["Lambda-Runtime-Aws-Request-Id"])
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == s.function_arn
    assert headers["Lambda-Runtime-Client-Context"] == '{"custom": {"k": "v"}}'
    assert json.loads(headers["Lambda-Runtime-Cognito-Identity"])["cognitoIdentityId"] == "id"
    assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=1-5e1b4151")
    assert headers["Content-Type"] == "application/json"
    deadline = int(headers["Lambda-Runtime-Deadline-Ms"])
    assert 0 < deadline - time.time() * 1000 <= 3000
    assert res.init_duration_ms is not None
    warm = h.invoke(s, {"b": 2})
    assert doc(warm)["event"] == {"b": 2} and warm.init_duration_ms is None
    # Headers with nothing to say are left out.
    assert "Lambda-Runtime-Client-Context" not in doc(warm)["headers"]
    assert "Lambda-Runtime-Cognito-Identity" not in doc(warm)["headers"]
    assert f"START RequestId: {headers['Lambda-Runtime-Aws-Request-Id']}" in res.log_tail
    assert "REPORT RequestId: " in res.log_tail and "Init Duration: " in res.log_tail
    assert "event " in warm.log_tail  # the bootstrap's stdout is in the function's log


def test_environment_variables_and_init_start(h: Harness) -> None:
    s = spec()
    h.invoke(s)
    lines = h.sink.messages(s.function_name)
    assert lines[0].startswith("INIT_START Runtime Version: provided:al2023.v1\t")
    assert "init mode=echo handler='function.handler'" in "".join(lines)


def test_exit_during_init(h: Harness) -> None:
    s = spec("exit_init")
    res = h.invoke(s)
    body = doc(res)
    assert body["errorType"] == "Runtime.ExitError"
    assert re.fullmatch(
        f"RequestId: {REQUEST_ID} Error: Runtime exited with error: exit status 3",
        body["errorMessage"],
    )
    assert res.function_error == "Unhandled"
    assert "INIT_REPORT Init Duration: " in res.log_tail
    assert "Status: error\tError Type: Runtime.ExitError" in res.log_tail
    assert s.key not in h.pool.stats().pids


def test_init_error_is_passed_through(h: Harness) -> None:
    res = h.invoke(spec("init_error"))
    assert doc(res) == {"errorMessage": "no config", "errorType": "Runtime.ConfigInvalid"}
    assert res.function_error == "Unhandled"
    assert "Error Type: Runtime.ConfigInvalid" in res.log_tail


def test_init_timeout_when_next_never_comes() -> None:
    harness = Harness(init_timeout_s=0.3)
    try:
        res = harness.invoke(spec("hang_init", timeout_s=1))
        assert doc(res)["errorType"] == "Sandbox.Timedout"
        assert doc(res)["errorMessage"].endswith("Task timed out after 1.00 seconds")
        assert "Status: timeout" in res.log_tail
        assert harness.pool.stats().pids == {}
    finally:
        harness.close()


def test_exit_mid_invoke(h: Harness) -> None:
    s = spec("exit_invoke")
    res = h.invoke(s)
    assert doc(res)["errorType"] == "Runtime.ExitError"
    assert doc(res)["errorMessage"].endswith("Error: Runtime exited with error: exit status 5")
    assert "Runtime.ExitError\n" in res.log_tail
    assert doc(h.invoke(s))["errorType"] == "Runtime.ExitError"  # a fresh environment again


def test_timeout_kills_the_bootstrap(h: Harness) -> None:
    s = spec("sleep", timeout_s=1)
    res = h.invoke(s)
    assert doc(res)["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(
        f"RequestId: {REQUEST_ID} Error: Task timed out after 1.00 seconds",
        doc(res)["errorMessage"],
    )
    assert re.search(r"\dZ " + REQUEST_ID + r" Task timed out after 1.00 seconds\n", res.log_tail)
    assert "Duration: 1000.00 ms" in res.log_tail
    assert s.key not in h.pool.stats().pids


def test_memory_limit(h: Harness) -> None:
    res = h.invoke(spec("memory", memory_mb=128))
    assert doc(res)["errorType"] == "Runtime.ExitError"
    assert doc(res)["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert "Max Memory Used: " in res.log_tail


def test_response_for_an_unknown_request_id(h: Harness) -> None:
    res = h.invoke(spec("unknown_id"))
    assert res.function_error is None
    assert doc(res)["notes"] == [
        [400, '{"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}']
    ]


def test_response_before_any_event_is_a_state_transition_error(h: Harness) -> None:
    res = h.invoke(spec("early_response"))
    ((status, body),) = doc(res)["notes"]
    assert status == 403
    assert json.loads(body) == {
        "errorMessage": "State transition from Started to InvocationResponse failed for "
        "runtime. Error: State transition is not allowed",
        "errorType": "InvalidStateTransition",
    }


def test_posting_twice(h: Harness) -> None:
    s = spec("twice")
    first = h.invoke(s)
    assert first.function_error is None and doc(first)["notes"] == []
    ((status, body),) = doc(h.invoke(s))["notes"]
    assert status == 403
    assert json.loads(body)["errorMessage"] == (
        "State transition from RuntimeResponseSentState to InvocationResponse failed for "
        "runtime. Error: State transition is not allowed"
    )


def test_garbage_on_the_api_costs_only_that_connection(h: Harness) -> None:
    res = h.invoke(spec("garbage"))
    assert res.function_error is None
    (note,) = doc(res)["notes"]
    assert note.startswith("HTTP/1.1 400 Bad Request\r\n")


def test_error_body_is_passed_through(h: Harness) -> None:
    s = spec("error")
    res = h.invoke(s)
    assert res.function_error == "Unhandled"
    assert res.payload == b"not json at all"
    pid = h.pool.stats().pids[s.key]
    assert h.invoke(s).payload == b"not json at all"
    assert h.pool.stats().pids[s.key] == pid  # a reported error keeps the environment


def test_error_document(h: Harness) -> None:
    res = h.invoke(spec("error_doc"))
    assert doc(res) == {
        "errorMessage": "bad thing",
        "errorType": "MyError",
        "stackTrace": ["a", "b"],
    }
    assert "END RequestId" in res.log_tail


def test_oversized_response(h: Harness) -> None:
    s = spec("big")
    res = h.invoke(s)
    assert doc(res) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({MAX_RESPONSE} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    assert res.function_error == "Unhandled"
    notes = doc(h.invoke(s))["notes"]  # the environment lives on
    assert notes[0] == [
        413,
        '{"errorMessage": "Exceeded maximum allowed payload size (6291556 bytes).", '
        '"errorType": "RequestEntityTooLarge"}',
    ]
    assert notes[1][0] == 403  # and the error it posted after was one call too many


def _code(tmp_path: Path, text: str, mode: int) -> Path:
    (tmp_path / "bootstrap").write_text(text)
    os.chmod(tmp_path / "bootstrap", mode)
    return tmp_path


def test_missing_bootstrap(h: Harness, tmp_path: Path) -> None:
    res = h.invoke(spec(code_dir=tmp_path))
    body = doc(res)
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert re.fullmatch(
        f"RequestId: {REQUEST_ID} Error: Couldn't find valid bootstrap\\(s\\): "
        r"\[/var/task/bootstrap /opt/bootstrap\]",
        body["errorMessage"],
    )
    assert "Status: error\tError Type: Runtime.InvalidEntrypoint" in res.log_tail
    assert "\nRuntime.InvalidEntrypoint\n" in res.log_tail


def test_bootstrap_not_executable(h: Harness, tmp_path: Path) -> None:
    res = h.invoke(spec(code_dir=_code(tmp_path, "#!/bin/sh\n", 0o644)))
    assert doc(res)["errorType"] == "Runtime.InvalidEntrypoint"
    assert doc(res)["errorMessage"].endswith(
        "Error: fork/exec /var/task/bootstrap: permission denied"
    )


def test_bootstrap_that_cannot_exec(h: Harness, tmp_path: Path) -> None:
    res = h.invoke(spec(code_dir=_code(tmp_path, "#!/no/such/interpreter\n", 0o755)))
    assert doc(res)["errorType"] == "Runtime.InvalidEntrypoint"
    assert doc(res)["errorMessage"].endswith(
        "Error: fork/exec /var/task/bootstrap: no such file or directory"
    )


def test_bootstrap_from_a_layer(h: Harness, tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "bootstrap").symlink_to(RAPI / "bootstrap")
    code = tmp_path / "code"
    code.mkdir()
    res = h.invoke(spec(code_dir=code, layer_dirs=(str(layer),)), {"x": 1})
    assert doc(res)["event"] == {"x": 1}


def test_server_side_keeps_serving_python_beside(h: Harness) -> None:
    for mode in ("garbage", "exit_invoke"):
        h.invoke(spec(mode))
    res = h.invoke(make_spec("app.handler", "basic"), {"name": "x"})
    assert res.function_error is None
    s = spec()
    h.invoke(s)
    (pid,) = h.pool.stats().pids[s.key]
    assert alive(pid)

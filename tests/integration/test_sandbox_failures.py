"""Everything that can go wrong inside an environment costs only that environment."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator

import pytest

from lambdalite.sandbox.outcomes import MAX_RESPONSE
from tests.integration.test_sandbox import FIXTURES, Harness, alive, doc, make_spec


@pytest.fixture(scope="module")
def h() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


def _pid_of(h: Harness, key: str) -> int:
    (pid,) = h.pool.stats().pids[key]
    return pid


def _exit_error(message_tail: str) -> re.Pattern[str]:
    return re.compile(r"RequestId: [0-9a-f-]{36} Error: " + re.escape(message_tail))


# -- init errors -------------------------------------------------------------------------------

INIT_ERRORS = [
    (
        "app",
        "basic",
        "Runtime.MalformedHandlerName",
        "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
    ),  # noqa: E501
    (
        "sys.handler",
        "basic",
        "Runtime.BuiltInModuleConflict",
        "Cannot use built-in module sys as a handler module",
    ),  # noqa: E501
    (
        "nope.handler",
        "basic",
        "Runtime.ImportModuleError",
        "Unable to import module 'nope': No module named 'nope'",
    ),  # noqa: E501
    (
        "init_import.handler",
        "initerr",
        "Runtime.ImportModuleError",
        "Unable to import module 'init_import': No module named 'definitely_not_a_module'",
    ),  # noqa: E501
    (
        "syntax_error.handler",
        "initerr",
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'syntax_error': ",
    ),  # noqa: E501
    (
        "app.missing",
        "basic",
        "Runtime.HandlerNotFound",
        "Handler 'missing' missing on module 'app'",
    ),  # noqa: E501
    ("init_raise.handler", "initerr", "Exception", "Runtime startup fails"),
]


@pytest.mark.parametrize(("handler", "code", "error_type", "message"), INIT_ERRORS)
def test_init_errors(h: Harness, handler: str, code: str, error_type: str, message: str) -> None:
    spec = make_spec(handler, code)
    res = h.invoke(spec)
    body = doc(res)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)
    assert body["requestId"] == ""
    assert res.function_error == "Unhandled" and res.init_duration_ms is not None
    assert spec.key not in h.pool.stats().pids  # the failed environment is gone
    assert f"[ERROR] {error_type}: " in res.log_tail
    assert "LAMBDA_WARNING: Unhandled exception." in res.log_tail
    assert "INIT_REPORT Init Duration: " in res.log_tail and "END RequestId" in res.log_tail
    if error_type == "Exception":
        assert any("importlib" in frame for frame in body["stackTrace"])
        assert "init_raise.py" in body["stackTrace"][-1]
    if error_type == "Runtime.UserCodeSyntaxError":
        assert re.fullmatch(r'  File ".*syntax_error\.py" Line 1\n    .*\n?', body["stackTrace"][0])
    assert doc(h.invoke(spec))["errorType"] == error_type  # and again on the next invoke


def test_process_exit_during_init(h: Harness) -> None:
    res = h.invoke(make_spec("init_exit.handler", "initerr"))
    assert doc(res)["errorType"] == "Runtime.ExitError"
    assert _exit_error("Runtime exited with error: exit status 2").fullmatch(
        doc(res)["errorMessage"]
    )
    assert "about to exit during init" in res.log_tail


def test_init_timeout() -> None:
    harness = Harness(init_timeout_s=0.3)
    try:
        res = harness.invoke(make_spec("init_slow.handler", "initerr"))
        assert doc(res)["errorType"] == "Sandbox.Timedout"
        assert "Status: timeout" in res.log_tail
        assert harness.pool.stats().pids == {}
    finally:
        harness.close()


# -- invoke errors ------------------------------------------------------------------------------


def test_handler_exception_document_and_log(h: Harness) -> None:
    spec = make_spec("bad.raises")
    res = h.invoke(spec)
    body = doc(res)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["errorMessage"] == "Handler fails" and body["errorType"] == "Exception"
    assert body["requestId"] == res.log_tail.split()[2]
    assert len(body["stackTrace"]) == 1  # the runtime's own frames are not shown
    assert re.fullmatch(
        r'  File ".*/bad\.py", line \d+, in raises\n    raise Exception\("Handler fails"\)\n',
        body["stackTrace"][0],
    )
    nbsp = "\u00a0"
    assert (
        "[ERROR] Exception: Handler fails\rTraceback (most recent call last):\r"
        f"{nbsp * 2}File " in res.log_tail
    )
    pid = _pid_of(h, spec.key)
    assert h.invoke(spec).init_duration_ms is None and _pid_of(h, spec.key) == pid  # still warm


def test_timeout_kills_and_replaces_environment(h: Harness) -> None:
    spec = make_spec("bad.stateful", timeout_s=1)
    assert h.invoke(spec, {"op": "set", "value": 42}).payload == b"42"
    pid = _pid_of(h, spec.key)
    res = h.invoke(spec, {"op": "spin"})  # a busy loop: only an outside SIGKILL ends it
    assert json.loads(res.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {res.log_tail.split()[2]} Error: Task timed out after 1.00 seconds",  # noqa: E501
    }
    assert res.function_error == "Unhandled"
    assert re.search(
        r"\n\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 1\.00 seconds\n",
        res.log_tail,
    )  # noqa: E501
    assert "Duration: 1000.00 ms" in res.log_tail
    assert not alive(pid) or _wait_dead(pid)
    again = h.invoke(spec, {"op": "get"})
    assert again.payload == b"0"  # a fresh environment: module state is back to its initial value
    assert again.init_duration_ms is not None


def _wait_dead(pid: int) -> bool:
    import time

    deadline = time.monotonic() + 2
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not alive(pid)


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        ("bad.exit3", "Runtime exited with error: exit status 3"),
        ("bad.hard_exit", "Runtime exited with error: exit status 127"),
        ("bad.segfault", "Runtime exited with error: signal: segmentation fault"),
        ("bad.hog_memory", "Runtime exited with error: signal: killed"),
        ("bad.huge_allocation", "Runtime exited with error: signal: killed"),
    ],
)
def test_process_death_mid_invoke(h: Harness, handler: str, reason: str) -> None:
    spec = make_spec(handler)
    res = h.invoke(spec)
    body = doc(res)
    assert list(body) == ["errorType", "errorMessage"]
    assert body["errorType"] == "Runtime.ExitError"
    assert _exit_error(reason).fullmatch(body["errorMessage"])
    assert f"Error: {reason}\nRuntime.ExitError\nEND RequestId" in res.log_tail
    assert spec.key not in h.pool.stats().pids
    ok = make_spec("app.handler", "basic")
    assert json.loads(h.invoke(ok).payload)["count"] == 1  # the server and the pool live on


def test_oom_reports_max_memory_near_limit(h: Harness) -> None:
    res = h.invoke(make_spec("bad.hog_memory", memory_mb=160))
    assert 100 <= res.max_memory_used_mb <= 400


def test_response_size_limit_and_environment_survives(h: Harness) -> None:
    spec = make_spec("bad.big_response")
    ok = h.invoke(spec, {"size": MAX_RESPONSE - 2})  # two bytes for the JSON quotes
    assert len(ok.payload) == MAX_RESPONSE and ok.function_error is None
    pid = _pid_of(h, spec.key)
    for _ in range(2):
        res = h.invoke(spec, {"size": MAX_RESPONSE - 1})
        assert json.loads(res.payload) == {
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
            "(6291556 bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
        assert res.function_error == "Unhandled"
    assert _pid_of(h, spec.key) == pid


def test_megabytes_of_output(h: Harness) -> None:
    spec = make_spec("bad.flood")
    res = h.invoke(spec, {"lines": 100_000})  # 10 MB
    assert res.payload == b'"flooded"'
    lines = [m for m in h.sink.messages(spec.function_name) if m.startswith("yyyy")]
    assert len(lines) == 100_000 and lines[0] == "y" * 99 + "\n"
    assert len(res.log_tail.encode()) <= 4 * 4096  # bounded; the API keeps the last 4096
    assert res.log_tail.splitlines()[-1].startswith("REPORT RequestId: ")


def test_marshalling(h: Harness) -> None:
    res = h.invoke(make_spec("bad.unserializable"))
    body = doc(res)
    assert body["errorType"] == "Runtime.MarshalError"
    assert body["errorMessage"] == (
        "Unable to marshal response: Object of type object is not JSON serializable"
    )
    assert h.invoke(make_spec("bad.raw_bytes")).payload == b"\x00\x01raw"
    assert json.loads(h.invoke(make_spec("bad.decimals")).payload) == {"a": 1.5, "b": 3, "u": "é"}
    bad_event = h.invoke(make_spec("app.handler", "basic"), b"{not json")
    assert doc(bad_event)["errorType"] == "Runtime.UnmarshalError"
    assert doc(bad_event)["errorMessage"].startswith("Unable to unmarshal input: Expecting")


def test_thousands_of_threads_cost_only_their_environment(h: Harness) -> None:
    res = h.invoke(make_spec("bad.threads"), {"count": 5000})
    if res.function_error is not None:
        assert doc(res)["errorType"] in ("RuntimeError", "Runtime.ExitError")
    assert json.loads(h.invoke(make_spec("app.handler", "basic")).payload)["count"] == 1


def test_limits_and_private_tmp(h: Harness) -> None:
    limits = json.loads(h.invoke(make_spec("bad.limits")).payload)
    assert limits == {"as": (128 + 1024) * 1024 * 1024, "nofile": 1024}
    first = json.loads(h.invoke(make_spec("bad.tmpdir")).payload)
    # A private /tmp mount would hide code or packages that live under /tmp (a checkout or
    # a virtualenv there); the environment then gets a TMPDIR of its own instead.
    under_tmp = any(os.path.realpath(p).startswith("/tmp/") for p in [str(FIXTURES), *sys.path])
    if os.geteuid() == 0 and not under_tmp:
        assert first == {"tmpdir": "/tmp", "tmp_listing": []}
    else:
        assert first["tmpdir"] != "/tmp"

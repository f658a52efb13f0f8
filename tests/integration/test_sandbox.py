"""SandboxPool against real environment processes (fixtures in tests/fixtures/functions)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvloop

from lambdalite.logs.store import LogRow
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.types import (
    EnvironmentSpec,
    InvocationRequest,
    InvocationResult,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "functions"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:{}"
T = TypeVar("T")


class Sink:
    def __init__(self) -> None:
        self.streams: dict[tuple[str, str], list[str]] = defaultdict(list)

    def emit(self, rows: list[LogRow]) -> None:
        for group, stream, _, message in rows:
            self.streams[(group, stream)].append(message)

    def messages(self, function_name: str) -> list[str]:
        group = f"/aws/lambda/{function_name}"
        return [m for (g, _), ms in self.streams.items() if g == group for m in ms]


class Harness:
    def __init__(self, **pool_kwargs: Any) -> None:
        self.runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
        self.sink = Sink()
        self.pool = SandboxPool(self.sink, **pool_kwargs)
        self.run(self.pool.start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)

    def invoke(self, spec: EnvironmentSpec, payload: Any = None, **kw: Any) -> InvocationResult:
        return self.run(self.pool.invoke(spec, request(spec, payload, **kw)))

    def close(self) -> None:
        self.run(self.pool.stop(0.5))
        self.runner.close()


def request(spec: EnvironmentSpec, payload: Any = None, **kw: Any) -> InvocationRequest:
    body = payload if isinstance(payload, bytes) else json.dumps(payload or {}).encode()
    kw.setdefault("want_log_tail", True)
    kw.setdefault("invoked_function_arn", spec.function_arn)
    return InvocationRequest(request_id=str(uuid.uuid4()), payload=body, **kw)


def make_spec(handler: str, code: str = "misbehave", **kw: Any) -> EnvironmentSpec:
    name = kw.pop("function_name", "fn-" + uuid.uuid4().hex[:8])
    fields: dict[str, Any] = {
        "key": name + "-k",
        "function_name": name,
        "function_version": "$LATEST",
        "function_arn": ARN.format(name),
        "handler": handler,
        "runtime": f"python{sys.version_info[0]}.{sys.version_info[1]}",
        "interpreter": sys.executable,
        "code_dir": FIXTURES / code,
    }
    fields.update(kw)
    return EnvironmentSpec(**fields)


def doc(result: InvocationResult) -> dict[str, Any]:
    value = json.loads(result.payload)
    assert isinstance(value, dict)
    return value


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def h() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


# -- warm reuse, logs, context ---------------------------------------------------------------


def test_warm_reuse_keeps_globals_pid_and_reports_init_once(h: Harness) -> None:
    spec = make_spec("app.handler", "basic")
    results = [h.invoke(spec, {"i": i}) for i in range(3)]
    bodies = [json.loads(r.payload) for r in results]
    assert [b["count"] for b in bodies] == [1, 2, 3]
    assert len({b["pid"] for b in bodies}) == 1
    assert bodies[2]["event"] == {"i": 2}
    assert results[0].init_duration_ms is not None and results[0].init_duration_ms > 0
    assert [r.init_duration_ms for r in results[1:]] == [None, None]
    assert all(r.function_error is None and r.executed_version == "$LATEST" for r in results)
    assert all(r.duration_ms > 0 and r.billed_duration_ms >= 1 for r in results)
    assert results[0].max_memory_used_mb > 0
    stats = h.pool.stats()
    assert stats.pids[spec.key] == (bodies[0]["pid"],)


def test_log_lines_of_cold_and_warm_invocations(h: Harness) -> None:
    spec = make_spec("app.handler", "basic")
    first, second = h.invoke(spec), h.invoke(spec)
    report = re.compile(
        r"REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?\n"
    )
    lines = first.log_tail.splitlines(keepends=True)
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith(" Version: $LATEST\n")
    assert lines[1].startswith("END RequestId: ")
    assert report.fullmatch(lines[2]) and "Init Duration" in lines[2]
    assert "init output" not in first.log_tail  # init output precedes START
    assert report.fullmatch(second.log_tail.splitlines(keepends=True)[2])
    assert "Init Duration" not in second.log_tail
    messages = h.sink.messages(spec.function_name)
    assert messages[0].startswith("INIT_START Runtime Version: python:")
    assert messages[1] == "init output from module\n"
    assert messages[2].startswith("START RequestId:")
    assert sum(m.startswith("INIT_START") for m in messages) == 1
    (stream,) = {s for (g, s) in h.sink.streams if g == f"/aws/lambda/{spec.function_name}"}
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)


def test_context_object_and_reserved_environment(h: Harness) -> None:
    spec = make_spec("app.context_dump", "basic", memory_mb=256, timeout_s=7)
    spec = replace(spec, environment={"MY_VAR": "1", "AWS_REGION": "user-cannot-override"})
    client_context = {
        "client": {"installation_id": "i-1", "app_title": "t", "app_package_name": "p"},
        "custom": {"k": "v"},
        "env": {"platform": "x"},
    }
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    res = h.invoke(
        spec,
        {},
        client_context=json.dumps(client_context),
        cognito_identity=json.dumps(identity),
        tenant_id="tenant-a",
        invoked_function_arn=spec.function_arn + ":$LATEST",
    )
    ctx = json.loads(res.payload)
    assert ctx["invoked_function_arn"] == spec.function_arn + ":$LATEST"
    assert ctx["function_name"] == spec.function_name
    assert ctx["function_version"] == "$LATEST"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["log_group_name"] == f"/aws/lambda/{spec.function_name}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", ctx["log_stream_name"])
    assert ctx["identity"] == ["id-1", "pool-1"]
    assert ctx["client_context"]["client"]["installation_id"] == "i-1"
    assert ctx["client_context"]["client"]["app_version_code"] is None
    assert ctx["client_context"]["custom"] == {"k": "v"}
    assert ctx["client_context"]["env"] == {"platform": "x"}
    assert ctx["tenant_id"] == "tenant-a"
    assert 0 < ctx["remaining"] <= 7000
    env = ctx["env"]
    assert env["MY_VAR"] == "1"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "app.context_dump"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == ctx["log_stream_name"]
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{spec.runtime}"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["LAMBDA_TASK_ROOT"] == str(spec.code_dir) == ctx["cwd"] == ctx["sys_path0"]
    assert env["TZ"] == ":UTC"
    assert "_X_AMZN_TRACE_ID" not in env
    plain = h.invoke(spec, {})
    assert json.loads(plain.payload)["client_context"] is None
    assert json.loads(plain.payload)["identity"] == [None, None]


def test_logging_print_stderr_and_context_log(h: Harness) -> None:
    spec = make_spec("app.logs", "basic")
    res = h.invoke(spec)
    rid = res.log_tail.split()[2]
    assert "hello from print\n" in res.log_tail
    assert re.search(
        r"\n\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + rid + r"\tinfo via logging\n",
        res.log_tail,
    )
    assert "via context.log\n" in res.log_tail and "to stderr\n" in res.log_tail
    assert res.payload == b'"ok"'


def test_handler_in_package_and_user_module_named_bootstrap(h: Harness) -> None:
    assert h.invoke(make_spec("pkg/mod.handler", "nested")).payload == b'"pkg.mod"'
    assert h.invoke(make_spec("bootstrap.handler", "initerr")).payload == b'"user bootstrap"'


# -- pool lifecycle -------------------------------------------------------------------------------


def test_concurrent_invocations_get_separate_environments(h: Harness) -> None:
    spec = make_spec("bad.sleep")

    async def both() -> list[InvocationResult]:
        reqs = [request(spec, {"seconds": 0.2}) for _ in range(2)]
        return list(await asyncio.gather(*(h.pool.invoke(spec, r) for r in reqs)))

    results = h.run(both())
    assert [r.payload for r in results] == [b'"woke up"', b'"woke up"']
    assert len(h.pool.stats().pids[spec.key]) == 2


def test_retire_stops_idle_and_busy_environments(h: Harness) -> None:
    spec = make_spec("app.handler", "basic")
    first = json.loads(h.invoke(spec).payload)
    assert h.pool.retire(spec.function_name) == 1
    assert spec.key not in h.pool.stats().pids
    second = h.invoke(spec)
    assert second.init_duration_ms is not None
    assert json.loads(second.payload)["pid"] != first["pid"]

    slow = make_spec("bad.sleep")

    async def retire_while_busy() -> InvocationResult:
        pending = asyncio.ensure_future(h.pool.invoke(slow, request(slow, {"seconds": 0.2})))
        await _until(lambda: slow.key in h.pool.stats().pids)  # the call is in its environment
        assert h.pool.retire(slow.function_name) == 1
        return await pending

    assert h.run(retire_while_busy()).payload == b'"woke up"'  # the invocation completes
    assert slow.key not in h.pool.stats().pids  # then the environment goes


async def _until(condition: Callable[[], bool]) -> None:
    """Wait for something the pool does in the background (10 s at most); the pool has
    no event to say so, and a test should not add one."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


def test_idle_environments_are_reaped_after_ttl() -> None:
    harness = Harness(idle_ttl_s=60.0)
    try:
        spec = make_spec("app.handler", "basic")
        harness.invoke(spec)
        assert harness.run(harness.pool.reap_idle()) == 0
        assert harness.run(harness.pool.reap_idle(now=time.monotonic() + 61)) == 1
        assert harness.pool.stats().warm == 0
    finally:
        harness.close()
    background = Harness(idle_ttl_s=0.1, reap_interval_s=0.05)
    try:
        background.invoke(make_spec("app.handler", "basic"))
        assert background.pool.stats().warm == 1
        background.run(_until(lambda: background.pool.stats().warm == 0))  # reaped in time
    finally:
        background.close()


def _find_python(version: str) -> str | None:
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}")
    )
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.12", "3.9"])
def test_other_interpreter(h: Harness, version: str) -> None:
    python = _find_python(version)
    if python is None:
        pytest.skip(f"python{version} not available")
    spec = make_spec("app.context_dump", "basic", interpreter=python, runtime=f"python{version}")
    ctx = json.loads(h.invoke(spec).payload)
    assert ctx["executable"] == [int(part) for part in version.split(".")]
    assert ctx["env"]["AWS_EXECUTION_ENV"] == f"AWS_Lambda_python{version}"
    assert python in h.pool.stats().forkservers
    utf8 = h.invoke(make_spec("bad.decimals", interpreter=python)).payload
    major, minor = (int(part) for part in version.split("."))
    assert ("é".encode() in utf8) == ((major, minor) >= (3, 12))  # 3.12+ runtimes do not escape
    assert doc(h.invoke(make_spec("bad.raises", interpreter=python)))["errorType"] == "Exception"


def test_stop_terminates_everything() -> None:
    harness = Harness()
    idle = make_spec("app.handler", "basic")
    busy = make_spec("bad.sleep")
    idle_pid = json.loads(harness.invoke(idle).payload)["pid"]
    (forkserver_pid,) = harness.pool.stats().forkservers.values()

    async def stop_while_busy() -> InvocationResult:
        pending = asyncio.ensure_future(harness.pool.invoke(busy, request(busy, {"seconds": 30})))
        await _until(lambda: busy.key in harness.pool.stats().pids)
        await harness.pool.stop(grace_s=0.5)
        return await pending

    res = harness.run(stop_while_busy())
    harness.runner.close()
    assert doc(res)["errorType"] == "Runtime.ExitError"
    assert doc(res)["errorMessage"].endswith("Runtime exited with error: signal: terminated")
    assert not alive(idle_pid)
    assert not alive(forkserver_pid)
    with pytest.raises(RuntimeError):
        asyncio.run(harness.pool.invoke(idle, request(idle)))

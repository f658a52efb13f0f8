"""External extensions through boto3: a layer's `extensions/` executables are started per
environment and served the Extensions API (register, INVOKE, SHUTDOWN, init and exit
errors) and the Telemetry API, on Python and custom runtimes; every failure ends only that
environment with AWS's Extension.* error, and the server keeps serving.

The extension (tests/fixtures/extensions/recorder.py) records what it gets into a file; the
tests wait on the invocation (END waits for the extension's next `next`), on drain (which
waits for Shutdown phases and Telemetry batches due) and on the virtual clock."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import ROLE, Server, advance, drain, start_server, stop_server, zip_source
from tests.acceptance.custom_runtimes import FIXTURES as RUNTIME_FIXTURES
from tests.acceptance.custom_runtimes import package

RECORDER = Path(__file__).resolve().parents[1] / "fixtures" / "extensions" / "recorder.py"
HANDLER = """import time
def handler(event, context):
    print('hello from handler')
    time.sleep(event.get('sleep', 0))
    return {'ok': 1}
"""
_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("extensions"), "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def lam(server: Server) -> Any:
    return server.client("lambda")


def layer(lam: Any, root: Path, names: tuple[str, ...] = ("recorder",), mode: int = 0o755) -> str:
    """A local layer whose extensions/ holds the recorder under each of `names`."""
    directory = root / f"layer-{next(_names)}" / "extensions"
    directory.mkdir(parents=True)
    for name in names:
        path = directory / name
        path.write_text(f"#!{sys.executable}\n" + RECORDER.read_text())
        path.chmod(mode)
    published = lam.publish_layer_version(
        LayerName="recorder",
        Content={"S3Bucket": "lambdalite-local", "S3Key": str(directory.parent)},
    )
    return str(published["LayerVersionArn"])


def function(
    lam: Any,
    layer_arn: str,
    record: Path,
    mode: str = "ok",
    runtime: str = "python3.11",
    timeout: int = 5,
    **config: Any,
) -> str:
    name = f"ext-{os.getpid()}-{next(_names)}"
    if runtime.startswith("provided"):
        code: dict[str, Any] = {
            "ZipFile": package({"bootstrap": (RUNTIME_FIXTURES / "bootstrap.sh").read_bytes()})
        }
    else:
        code = {"ZipFile": zip_source(HANDLER)}
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler="app.handler",
        Code=code,
        Layers=[layer_arn],
        Timeout=timeout,
        Environment={"Variables": {"EXT_RECORD": str(record), "EXT_MODE": mode}},
        **config,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def events(path: Path) -> list[dict[str, Any]]:
    return [r["event"] for r in records(path) if "event" in r]


def invoke(lam: Any, name: str, payload: bytes = b"{}") -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=payload)
    return response, json.loads(response["Payload"].read())


def shut_down(server: Server, lam: Any, name: str) -> None:
    """A configuration change retires the idle environment: its Shutdown phase runs, and
    drain returns once it is over."""
    lam.update_function_configuration(FunctionName=name, Description="retire")
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    drain(server.endpoint)


def log_text(server: Server, name: str) -> str:
    drain(server.endpoint)
    logs = server.client("logs")
    found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")
    return "".join(e["message"] for e in found["events"])


@pytest.mark.parametrize("runtime", ["python3.11", "provided.al2023"])
def test_extension_registers_gets_invoke_and_shutdown(
    server: Server, lam: Any, tmp_path: Path, runtime: str
) -> None:
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, runtime=runtime)
    response, body = invoke(lam, name)
    assert "FunctionError" not in response, body
    request_id = response["ResponseMetadata"]["RequestId"]
    registered = records(record)[0]
    assert registered["register"] == 200
    assert registered["body"] == {
        "functionName": name,
        "functionVersion": "$LATEST",
        "handler": "app.handler",
    }
    # The invocation ended only once the extension was back in event/next: INVOKE is in.
    (invoked,) = events(record)
    assert invoked["eventType"] == "INVOKE" and invoked["requestId"] == request_id
    assert invoked["invokedFunctionArn"].endswith(f":function:{name}")
    assert isinstance(invoked["deadlineMs"], int)
    assert invoked["tracing"]["type"] == "X-Amzn-Trace-Id"

    second, _ = invoke(lam, name)  # warm: the same extension, a second INVOKE
    assert [e["requestId"] for e in events(record)][1] == second["ResponseMetadata"]["RequestId"]
    shut_down(server, lam, name)
    last = events(record)[-1]
    assert last["eventType"] == "SHUTDOWN" and last["shutdownReason"] == "spindown"
    assert isinstance(last["deadlineMs"], int)
    text = log_text(server, name)
    assert "recorder ready\n" in text
    assert "EXTENSION\tName: recorder\tState: Ready\tEvents: [INVOKE,SHUTDOWN]" in text


def test_telemetry_subscription_gets_platform_and_function_events(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, mode="telemetry")
    response, _ = invoke(lam, name)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert records(record)[1] == {"ext": "recorder", "subscribe": 200, "body": "OK"}
    drain(server.endpoint)
    assert not [r for r in records(record) if "telemetry" in r]  # buffered until timeoutMs
    advance(server.endpoint, 1.0)
    drain(server.endpoint)
    delivered = [e for r in records(record) if "telemetry" in r for e in r["telemetry"]]
    kinds = [e["type"] for e in delivered]
    assert "platform.initStart" in kinds and "platform.initReport" in kinds
    start = next(e for e in delivered if e["type"] == "platform.start")
    assert start["record"]["requestId"] == request_id and start["record"]["version"] == "$LATEST"
    assert start["record"]["tracing"]["type"] == "X-Amzn-Trace-Id"
    report = next(e for e in delivered if e["type"] == "platform.report")
    assert report["record"]["requestId"] == request_id
    assert report["record"]["status"] == "success"
    assert report["record"]["metrics"]["memorySizeMB"] == 128
    assert {"time", "type", "record"} == set(report)
    assert {"type": "function", "record": "hello from handler"}.items() <= next(
        e for e in delivered if e["type"] == "function"
    ).items()
    assert "TELEMETRY\tName: recorder\tState: Subscribed\tTypes: [Function, Platform]" in (
        log_text(server, name)
    )


def test_json_log_format_writes_extension_and_subscription_records(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    json_logs = {"LoggingConfig": {"LogFormat": "JSON"}}
    name = function(lam, layer(lam, tmp_path), record, mode="telemetry", **json_logs)
    invoke(lam, name)
    text = log_text(server, name)
    assert "EXTENSION\t" not in text and "TELEMETRY\t" not in text
    found = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    by_type = {r["type"]: r["record"] for r in found}
    assert by_type["platform.extension"] == {
        "name": "recorder", "state": "Ready", "events": ["INVOKE", "SHUTDOWN"]
    }  # fmt: skip
    assert by_type["platform.telemetrySubscription"] == {
        "name": "recorder", "state": "Subscribed", "types": ["function", "platform"]
    }  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "error_type"),
    [
        ("exit-before-register", "Extension.Crash"),
        ("bad-event", "Extension.Crash"),
        ("init-error", "Extension.InitError"),
    ],
)
def test_extension_failing_init_fails_the_invocation(
    server: Server, lam: Any, tmp_path: Path, mode: str, error_type: str
) -> None:
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, mode=mode)
    response, body = invoke(lam, name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(
        f"RequestId: {response['ResponseMetadata']['RequestId']}"
    )
    if mode == "bad-event":
        (answer,) = records(record)
        assert answer["register"] == 403
        assert answer["body"]["errorType"] == "Extension.InvalidEventType"
    # (init-error: the Extension.InitError above is the server acting on the extension's
    # init/error; its 202 is checked in tests/integration/test_extensions_api.py, since the
    # extension may be killed with the environment before it can note the answer.)
    assert "INIT_REPORT" in log_text(server, name) and f"Error Type: {error_type}" in (
        log_text(server, name)
    )
    healthy = function(lam, layer(lam, tmp_path), tmp_path / "healthy.jsonl")
    assert "FunctionError" not in invoke(lam, healthy)[0]  # the server keeps serving


def test_extension_that_cannot_start_is_a_launch_error(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    name = function(lam, layer(lam, tmp_path, mode=0o644), tmp_path / "record.jsonl")
    response, body = invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Extension.LaunchError"
    assert "permission denied" in body["errorMessage"]


@pytest.mark.parametrize(
    ("mode", "error_type"),
    [("crash-on-invoke", "Extension.Crash"), ("exit-error", "Extension.ExitError")],
)
def test_extension_failing_mid_invoke_fails_it_and_resets(
    server: Server, lam: Any, tmp_path: Path, mode: str, error_type: str
) -> None:
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, mode=mode)
    response, body = invoke(lam, name)
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == error_type
    drain(server.endpoint)
    again, body = invoke(lam, name)  # a fresh environment: its extension registers anew
    assert body["errorType"] == error_type
    assert [r["register"] for r in records(record) if "register" in r] == [200, 200]


def test_extension_hanging_at_shutdown_is_killed(server: Server, lam: Any, tmp_path: Path) -> None:
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, mode="hang-on-shutdown")
    assert "FunctionError" not in invoke(lam, name)[0]
    pid = records(record)[0]["pid"]
    shut_down(server, lam, name)  # drain: returns once the window passed and it was killed
    assert events(record)[-1]["eventType"] == "SHUTDOWN"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_function_timeout_shuts_extensions_down_with_reason_timeout(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, timeout=1)
    response, body = invoke(lam, name, b'{"sleep": 30}')
    assert body["errorType"] == "Sandbox.Timedout"
    drain(server.endpoint)  # the environment's reset: its Shutdown phase
    last = events(record)[-1]
    assert last["eventType"] == "SHUTDOWN" and last["shutdownReason"] == "timeout"


def test_extension_missing_the_deadline_after_invoke_times_it_out(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    """The function's timeout bounds the whole Invoke phase, extensions' part included."""
    record = tmp_path / "record.jsonl"
    name = function(lam, layer(lam, tmp_path), record, mode="stall-on-invoke", timeout=1)
    response, body = invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Status: timeout" in log_text(server, name) or "Task timed out" in log_text(server, name)


def test_snapstart_restores_start_the_extensions(server: Server, lam: Any, tmp_path: Path) -> None:
    """AWS snapshots the extensions with the runtime; here each restore starts them anew,
    with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, and they get INVOKE and restore events."""
    record = tmp_path / "record.jsonl"
    snap_start = {"SnapStart": {"ApplyOn": "PublishedVersions"}}
    arn = layer(lam, tmp_path)
    name = function(lam, arn, record, mode="telemetry", runtime="python3.12", **snap_start)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.get_waiter("published_version_active").wait(
        FunctionName=name, Qualifier=version, WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
    )
    response = lam.invoke(FunctionName=name, Qualifier=version, Payload=b"{}")
    assert "FunctionError" not in response, response["Payload"].read()
    registered = [r for r in records(record) if "register" in r]
    assert registered and {r["init_type"] for r in registered} == {"snap-start"}
    assert registered[0]["body"]["functionVersion"] == version
    (invoked,) = events(record)
    assert invoked["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert invoked["invokedFunctionArn"].endswith(f":function:{name}:{version}")
    advance(server.endpoint, 1.0)
    drain(server.endpoint)
    delivered = [e for r in records(record) if "telemetry" in r for e in r["telemetry"]]
    kinds = {e["type"] for e in delivered}
    assert {"platform.restoreStart", "platform.restoreReport", "platform.report"} <= kinds
    assert "platform.initStart" not in kinds
    report = next(e for e in delivered if e["type"] == "platform.restoreReport")
    assert report["record"]["status"] == "success"


INTERNAL = RUNTIME_FIXTURES / "internal_extension.py"


def test_custom_runtime_internal_extension_without_layers(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    """A custom runtime's in-process extension gets the Extensions and Telemetry APIs on the
    runtime's own host:port, though the function has no external extensions."""
    record = tmp_path / "record.jsonl"
    name = f"ext-{os.getpid()}-{next(_names)}"
    bootstrap = f"#!{sys.executable}\n" + INTERNAL.read_text()
    lam.create_function(
        FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="x",
        Code={"ZipFile": package({"bootstrap": bootstrap.encode()})},
        Environment={"Variables": {"EXT_RECORD": str(record)}},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    response, body = invoke(lam, name, b'{"a": 1}')
    assert body == {"echo": {"a": 1}}
    assert records(record)[:2] == [{"register": 200}, {"subscribe": 200}]
    (invoked,) = events(record)
    assert invoked["eventType"] == "INVOKE"
    assert invoked["requestId"] == response["ResponseMetadata"]["RequestId"]
    advance(server.endpoint, 1.0)
    drain(server.endpoint)
    delivered = [e for r in records(record) if "telemetry" in r for e in r["telemetry"]]
    kinds = {e["type"] for e in delivered}
    assert {"platform.initStart", "platform.start", "platform.report", "function"} <= kinds
    assert "EXTENSION\tName: inproc\tState: Ready\tEvents: [INVOKE]" in log_text(server, name)

"""Execution environments seen from a client: reuse, retirement, limits, misbehaviour."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import ROLE, create

PID = (
    "import os\nSTATE = {'calls': 0}\ndef handler(event, context):\n"
    "    STATE['calls'] += 1\n    return [os.getpid(), STATE['calls']]\n"
)


def call(lam: Any, name: str, payload: bytes = b"{}") -> Any:
    return json.loads(lam.invoke(FunctionName=name, Payload=payload)["Payload"].read())


def test_warm_environment_is_reused_and_update_retires_it(lam: Any) -> None:
    name = create(lam, PID)
    first_pid, _ = call(lam, name)
    same_pid, calls = call(lam, name)
    assert same_pid == first_pid and calls == 2  # module state survives while warm
    lam.update_function_configuration(FunctionName=name, MemorySize=256)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    new_pid, calls = call(lam, name)
    assert new_pid != first_pid and calls == 1


def test_memory_limit_kills_only_the_environment(lam: Any) -> None:
    hog = (
        "def handler(event, context):\n"
        "    blocks = [bytearray(b'x' * (16 * 1024 * 1024)) for _ in range(40)]\n"
        "    return len(blocks)\n"
    )
    name = create(lam, hog, MemorySize=128, Timeout=20)
    response = lam.invoke(FunctionName=name, LogType="Tail")
    document = json.loads(response["Payload"].read())
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert response["FunctionError"] == "Unhandled"
    assert document == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    }
    healthy = create(lam, "def handler(e, c):\n    return 'fine'\n")
    assert call(lam, healthy) == "fine"


def test_endless_loop_is_stopped_by_the_timeout(lam: Any) -> None:
    name = create(lam, "def handler(e, c):\n    while True:\n        pass\n", Timeout=1)
    response = lam.invoke(FunctionName=name)
    assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"


def test_exit_in_handler_is_runtime_exit_error(lam: Any) -> None:
    name = create(lam, "import os\ndef handler(e, c):\n    os._exit(127)\n")
    document = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert document["errorType"] == "Runtime.ExitError"
    assert document["errorMessage"].endswith("Runtime exited with error: exit status 127")


def test_zip_entries_escaping_the_code_directory_are_refused(lam: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("../../escape.py")
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        archive.writestr(info, "x = 1\n")
    with pytest.raises(ClientError) as raised:
        lam.create_function(
            FunctionName="zip-slip",
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    error = raised.value.response
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400

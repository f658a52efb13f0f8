"""Synchronous Invoke through boto3 against a real server: the wire contract of spec 2."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, create

ECHO = "def handler(event, context):\n    return event\n"
CONTEXT = """
import os
def handler(event, context):
    print("hello from print")
    return {
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "version": context.function_version,
        "memory": context.memory_limit_in_mb,
        "client_context": None if context.client_context is None else context.client_context.custom,
        "env_version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
    }
"""
UUID = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$")


def test_echo_round_trip(lam: Any) -> None:
    name = create(lam, ECHO)
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"a": [1, 2]}))
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"a": [1, 2]}
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert UUID.match(headers["x-amzn-requestid"])


def test_context_and_log_tail(lam: Any) -> None:
    name = create(lam, CONTEXT)
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response = lam.invoke(FunctionName=name, LogType="Tail", ClientContext=client_context)
    body = json.loads(response["Payload"].read())
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert body["request_id"] == request_id
    assert body["arn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert body["memory"] == "128"
    assert body["client_context"] == {"k": "v"}
    assert body["env_version"] == "$LATEST"
    tail = base64.b64decode(response["LogResult"]).decode()
    assert f"START RequestId: {request_id} Version: $LATEST" in tail
    assert "hello from print" in tail
    assert f"END RequestId: {request_id}" in tail
    assert re.search(
        rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: "
        r"\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t",
        tail,
    )


def test_handler_exception_document(lam: Any) -> None:
    name = create(lam, "def handler(event, context):\n    raise ValueError('boom')\n")
    response = lam.invoke(FunctionName=name)
    assert response["FunctionError"] == "Unhandled"
    document = json.loads(response["Payload"].read())
    assert list(document) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert document["errorType"] == "ValueError"
    assert document["errorMessage"] == "boom"


def test_timeout_document(lam: Any) -> None:
    name = create(lam, "import time\ndef handler(event, context):\n    time.sleep(30)\n", Timeout=1)
    response = lam.invoke(FunctionName=name)
    assert response["FunctionError"] == "Unhandled"
    document = json.loads(response["Payload"].read())
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert document == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }


def test_init_error(lam: Any) -> None:
    name = create(lam, "import no_such_module\n")
    response = lam.invoke(FunctionName=name)
    document = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert document["errorType"] == "Runtime.ImportModuleError"
    assert document["errorMessage"].startswith("Unable to import module 'app'")


def test_versions_and_aliases_route(lam: Any) -> None:
    name = create(lam, CONTEXT)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    by_version = lam.invoke(FunctionName=name, Qualifier="1")
    assert by_version["ExecutedVersion"] == "1"
    assert json.loads(by_version["Payload"].read())["version"] == "1"
    by_alias = lam.invoke(FunctionName=f"{name}:live")
    assert by_alias["ExecutedVersion"] == "1"
    assert json.loads(by_alias["Payload"].read())["arn"].endswith(f":function:{name}:live")
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName=name, Qualifier="nope")
    assert raised.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}:nope"
    )


def test_weighted_alias_routes_to_both_versions(lam: Any) -> None:
    name = create(lam, CONTEXT)
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Timeout=4)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    lam.publish_version(FunctionName=name)
    lam.create_alias(
        FunctionName=name,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    executed = {
        lam.invoke(FunctionName=name, Qualifier="canary")["ExecutedVersion"] for _ in range(60)
    }
    assert executed == {"1", "2"}


def test_dry_run(lam: Any) -> None:
    name = create(lam, ECHO)
    response = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert "ExecutedVersion" not in response


def test_reserved_zero_throttles(lam: Any) -> None:
    name = create(lam, ECHO)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName=name)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_bad_payloads(server: Server, lam: Any) -> None:
    name = create(lam, ECHO)
    url = f"{server.endpoint}/2015-03-31/functions/{name}/invocations"
    bad_json = httpx.post(url, content=b"{value")
    assert bad_json.status_code == 400
    assert bad_json.headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert bad_json.json()["message"].startswith(
        "Could not parse request body into json: Could not parse payload into json:"
    )
    bad_utf8 = httpx.post(url, content=b'"\x87"')
    assert bad_utf8.status_code == 400
    too_big = httpx.post(url, content=b'"' + b"x" * 6_291_456 + b'"')
    assert too_big.status_code == 413
    assert too_big.headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    missing = httpx.post(f"{server.endpoint}/2015-03-31/functions/absent/invocations")
    assert missing.status_code == 404
    assert missing.json() == {
        "Type": "User",
        "Message": "Function not found: "
        "arn:aws:lambda:us-east-1:000000000000:function:absent:$LATEST",
    }
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"[1]")["Payload"].read()) == [1]


def test_big_response_is_a_function_error(lam: Any) -> None:
    name = create(lam, "def handler(e, c):\n    return 'x' * 6_300_000\n")
    response = lam.invoke(FunctionName=name)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


def _concurrent_statuses(server: Server, name: str, calls: int) -> list[int]:
    import threading

    statuses: list[int] = []
    url = f"{server.endpoint}/2015-03-31/functions/{name}/invocations"

    def call() -> None:
        statuses.append(httpx.post(url, content=b'{"sleep": 1.0}', timeout=30).status_code)

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


SLEEPER = "import time\ndef handler(event, context):\n    time.sleep(event.get('sleep', 0))\n"


def test_reserved_concurrency_throttles_the_excess(server: Server, lam: Any) -> None:
    name = create(lam, SLEEPER, Timeout=10)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    assert _concurrent_statuses(server, name, 3) == [200, 429, 429]


VERSION = "import sys\ndef handler(event, context):\n    return '%d.%d' % sys.version_info[:2]\n"


@pytest.mark.parametrize("runtime", ["python3.9", "python3.12", "python3.13"])
def test_runtime_runs_on_its_own_interpreter(server: Server, lam: Any, runtime: str) -> None:
    info = httpx.get(f"{server.endpoint}/_lambdalite/runtimes").json()[runtime]
    name = create(lam, VERSION, Runtime=runtime)
    ran = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    if info["exact"]:
        assert ran == runtime.removeprefix("python")
    else:  # not installed here: the nearest installed Python stands in
        assert ran == info["version"]

"""Function code talks to lambdalite (issue 14.2): on every installed Python runtime, boto3
is importable, points at this server by default, and the server's own packages are not."""

from __future__ import annotations

import io
import itertools
import json
import os
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from lambdalite.sandbox.interpreters import SUPPORTED_RUNTIMES, interpreter_for
from tests.acceptance.conftest import ROLE, Server, create

# The runtimes whose own interpreter is installed here (others would run on the server's).
RUNTIMES = [rt for rt in SUPPORTED_RUNTIMES if interpreter_for(rt).exact]
_names = (f"sdk-{os.getpid()}-{i}" for i in itertools.count())

SDK_HANDLER = """
import os
import sys


def handler(event, context):
    action = event["action"]
    if action == "sqs":
        import boto3

        sqs = boto3.client("sqs")
        sent = sqs.send_message(QueueUrl=event["queue_url"], MessageBody=event["body"])
        return {"id": sent["MessageId"], "endpoint": sqs.meta.endpoint_url}
    if action == "kinesis":
        import boto3

        put = boto3.client("kinesis").put_record(
            StreamName=event["stream"], Data=event["data"].encode(), PartitionKey="k"
        )
        return {"sequence": put["SequenceNumber"]}
    if action == "import":
        try:
            __import__(event["module"])
        except ModuleNotFoundError as e:
            return {"error": type(e).__name__, "name": e.name}
        return {"imported": event["module"]}
    if action == "facts":
        return {
            "version": "%d.%d" % sys.version_info[:2],
            "path": sys.path,
            "modules": sorted(m for m in ("boto3", "botocore") if m in sys.modules),
            "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_")},
        }
    raise ValueError(action)
"""


def call(lam: Any, name: str, **event: Any) -> Any:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


@pytest.fixture(scope="module", params=RUNTIMES)
def fn(request: pytest.FixtureRequest, lam: Any) -> tuple[str, str]:
    runtime: str = request.param
    return runtime, create(lam, SDK_HANDLER, Runtime=runtime, Timeout=60)


@pytest.fixture(scope="module")
def queue_url(server: Server) -> str:
    return str(server.client("sqs").create_queue(QueueName=next(_names))["QueueUrl"])


def received(server: Server, queue_url: str) -> list[str]:
    sqs = server.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    for m in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return [m["Body"] for m in messages]


def test_runtimes_cover_the_versions_asked_for() -> None:
    # The issue names these; a machine without one of them would test less than it says.
    assert {"python3.11", "python3.12", "python3.13"} <= set(RUNTIMES)


def test_boto3_with_no_configuration_sends_to_this_servers_queue(
    fn: tuple[str, str], lam: Any, server: Server, queue_url: str
) -> None:
    runtime, name = fn
    body = f"from {runtime}"
    sent = call(lam, name, action="sqs", queue_url=queue_url, body=body)
    assert sent["endpoint"] == server.endpoint
    assert received(server, queue_url) == [body]


def test_boto3_with_no_configuration_puts_kinesis_records_here(
    fn: tuple[str, str], lam: Any, server: Server
) -> None:
    runtime, name = fn
    kinesis = server.client("kinesis")
    stream = next(_names)
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=stream, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    put = call(lam, name, action="kinesis", stream=stream, data=runtime)
    shard_iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=shard_iterator)["Records"]
    assert [(r["SequenceNumber"], r["Data"]) for r in records] == [
        (put["sequence"], runtime.encode())
    ]


@pytest.mark.parametrize("module", ["uvicorn", "httptools", "click", "httpx", "lambdalite"])
def test_the_servers_own_packages_are_not_importable(
    fn: tuple[str, str], lam: Any, module: str
) -> None:
    _runtime, name = fn
    assert call(lam, name, action="import", module=module) == {
        "error": "ModuleNotFoundError",
        "name": module,
    }


def test_each_runtime_sees_its_stdlib_boto3_and_its_code_only(
    fn: tuple[str, str], lam: Any, server: Server
) -> None:
    runtime, _name = fn
    fresh = create(lam, SDK_HANDLER, Runtime=runtime)  # a new environment: nothing imported
    facts = call(lam, fresh, action="facts")
    assert facts["version"] == runtime.removeprefix("python")
    code_dir, *rest = facts["path"]
    assert Path(code_dir).parent == server.data_dir.resolve() / "code"
    *stdlib, packages = rest
    # Nothing of the server's installation: no site-packages, no source checkout.
    assert not any("site-packages" in p or p.endswith("/src") for p in facts["path"])
    assert Path(packages, "boto3", "__init__.py").is_file()
    assert Path(stdlib[-1]).name == "lib-dynload"
    assert facts["modules"] == []  # importable, not imported at start (cold starts stay fast)
    assert facts["env"]["AWS_ENDPOINT_URL"] == server.endpoint
    assert facts["env"]["AWS_REGION"] == facts["env"]["AWS_DEFAULT_REGION"] == "us-east-1"
    assert facts["env"]["AWS_ACCESS_KEY_ID"] and facts["env"]["AWS_SECRET_ACCESS_KEY"]


def test_a_functions_own_endpoint_variable_wins(lam: Any, server: Server, queue_url: str) -> None:
    # Another spelling of the same server, so that the message still arrives.
    other = server.endpoint.replace("127.0.0.1", "localhost")
    name = create(
        lam,
        SDK_HANDLER,
        Runtime=RUNTIMES[-1],
        Timeout=60,
        Environment={"Variables": {"AWS_ENDPOINT_URL": other}},
    )
    sent = call(lam, name, action="sqs", queue_url=queue_url, body="own endpoint")
    assert sent["endpoint"] == other
    assert received(server, queue_url) == ["own endpoint"]
    facts = call(lam, name, action="facts")
    assert urlsplit(facts["env"]["AWS_ENDPOINT_URL"]).hostname == "localhost"


def test_a_service_endpoint_variable_wins_over_the_default(lam: Any, server: Server) -> None:
    # botocore prefers AWS_ENDPOINT_URL_<SERVICE> to AWS_ENDPOINT_URL; ours must not mask it.
    other = server.endpoint.replace("127.0.0.1", "localhost")
    name = create(
        lam,
        SDK_HANDLER,
        Runtime=RUNTIMES[-1],
        Timeout=60,
        Environment={"Variables": {"AWS_ENDPOINT_URL_SQS": other}},
    )
    url = server.client("sqs").create_queue(QueueName=next(_names))["QueueUrl"]
    assert call(lam, name, action="sqs", queue_url=url, body="x")["endpoint"] == other


def test_region_and_credentials_stay_reserved(lam: Any) -> None:
    # AWS rejects them in the configuration; the environment gets the server's values.
    with pytest.raises(ClientError) as exc:
        create(lam, SDK_HANDLER, Environment={"Variables": {"AWS_REGION": "eu-west-1"}})
    error = exc.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].endswith("Reserved keys used in this request: AWS_REGION")


def test_a_bundled_boto3_wins_over_the_runtimes(lam: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "import boto3\ndef handler(e, c):\n    return boto3.ORIGIN\n")
        archive.writestr("boto3/__init__.py", "ORIGIN = 'bundled'\n")
    name = next(_names)
    lam.create_function(
        FunctionName=name,
        Runtime=RUNTIMES[-1],
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    assert call(lam, name) == "bundled"


def test_local_code_shares_the_sdks_byte_code(lam: Any, tmp_path: Path) -> None:
    # Local code gets a private pycache prefix per environment (runtime/isolation.py); the
    # SDK's part of it must be the shared one, or each cold start compiles boto3 again.
    (tmp_path / "app.py").write_text(
        "import os, sys\n"
        "def handler(e, c):\n"
        "    import boto3\n"
        "    return [sys.pycache_prefix, os.path.realpath(boto3.__cached__)]\n"
    )
    name = next(_names)
    lam.create_function(
        FunctionName=name,
        Runtime=RUNTIMES[-1],
        Role=ROLE,
        Handler="app.handler",
        Timeout=60,
        Code={"S3Bucket": "lambdalite-local", "S3Key": str(tmp_path)},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    prefix, cached = call(lam, name)
    assert prefix  # the private prefix is in force
    assert not cached.startswith(os.path.realpath(prefix))
    assert Path(cached).parent.parent.name == ".pycache-prefix"
    assert Path(cached).is_file()

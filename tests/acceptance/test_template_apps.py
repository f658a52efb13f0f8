"""`lambdalite up`, round 2: the public apps with APIs, buckets, tables, layers and
connectors, deployed by the real CLI into a real server and driven with boto3 and httpx
(the gateway on its own free port); bad input (pip, imports) through the same server."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lambdalite.testing import Server, drain, free_port

TEMPLATES = Path(__file__).parent.parent / "fixtures" / "templates"
needs_moto = pytest.mark.skipif(
    importlib.util.find_spec("moto") is None, reason="the services extra (moto) is not installed"
)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """`lambdalite up` of the apigw-http-api app on a virtual clock, gateway on a free port."""
    tmp = tmp_path_factory.mktemp("up2")
    port, gateway_port = free_port(), free_port()
    out = tmp / "up.log"
    env = {
        **os.environ,
        "LAMBDALITE_DATA_DIR": str(tmp / "data"),
        "PIP_NO_INDEX": "1",  # no package index at test time: a requirement fails fast
        "PIP_FIND_LINKS": str(tmp),
    }
    command = [
        sys.executable, "-m", "lambdalite.cli.main", "up",
        str(TEMPLATES / "http-api" / "template.yaml"),
        "--clock", "virtual", "--no-example", "--port", str(port),
        "--gateway-port", str(gateway_port), "--cache-dir", str(tmp / "cache"),
    ]  # fmt: skip
    with open(out, "wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "Serving on" not in out.read_text():
        assert process.poll() is None and time.monotonic() < deadline, out.read_text()
        time.sleep(0.05)
    server = Server(
        process, f"http://127.0.0.1:{port}", tmp / "data", out, f"http://127.0.0.1:{gateway_port}"
    )
    yield server, out.read_text()
    process.terminate()
    process.wait(timeout=30)


def _deploy(server: Server, template: Path, stack: str) -> httpx.Response:
    body = {"Template": str(template), "StackName": stack}
    return httpx.post(f"{server.endpoint}/_lambdalite/stacks", json=body, timeout=300)


def _api(server: Server, api_id: str, stage: str, path: str) -> str:
    return f"{server.gateway}/restapis/{api_id}/{stage}/_user_request_{path}"


def _api_id(url: str) -> str:
    return url.split("//", 1)[1].split(".", 1)[0]


def _received(server: Server, url: str) -> list[str]:
    drain(server.endpoint)
    sqs = server.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in messages]


def test_http_api_app_answers_through_the_gateway_with_payload_2(up: tuple[Server, str]) -> None:
    server, output = up
    assert "AWS::ApiGatewayV2::Api ServerlessHttpApi ... done" in output
    api_id = output.split("Output HttpApiEndpoint: ", 1)[1].split()[0]
    response = httpx.get(_api(server, api_id, "$default", "/any/path?x=1"), timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Hello from the HTTP API"
    assert body["seen"] == {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/any/path",
        "rawQueryString": "x=1",
        "method": "GET",
    }


def test_sam_hello_app_get_hello_over_rest(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "sam-hello" / "template.yaml", "sam-hello")
    assert response.status_code == 200, response.text
    api_id = _api_id(response.json()["Outputs"]["HelloWorldApi"])
    answer = httpx.get(_api(server, api_id, "Prod", "/hello"), timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"message": "hello world", "path": "/hello", "stage": "Prod"}
    missing = httpx.get(_api(server, api_id, "Prod", "/nothing"), timeout=30)
    assert missing.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}


@needs_moto
def test_s3_resizing_app_upload_writes_to_the_other_bucket(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "s3-resize" / "template.yaml", "s3-resize")
    assert response.status_code == 200, response.text
    progress = "\n".join(response.json()["Progress"])
    foreign = "arn:aws:lambda:us-east-1:175033217214:layer:graphicsmagick:2"
    assert f"warning: ResizerFunction: layers ['{foreign}'] cannot be fetched; skipped" in progress
    assert progress.count("cannot be fetched") == 1
    outputs = response.json()["Outputs"]
    assert outputs["SourceBucketArn"] == "arn:aws:s3:::resize-source-bucket"
    s3 = server.client("s3")
    s3.put_object(Bucket=outputs["SourceBucketName"], Key="dog.jpeg", Body=b"0123456789")
    s3.put_object(Bucket=outputs["SourceBucketName"], Key="notes.txt", Body=b"skipped")
    drain(server.endpoint)
    listed = s3.list_objects_v2(Bucket=outputs["DestinationBucketName"]).get("Contents", [])
    assert [o["Key"] for o in listed] == ["resized-dog.jpeg"]
    body = s3.get_object(Bucket=outputs["DestinationBucketName"], Key="resized-dog.jpeg")["Body"]
    assert body.read() == b"02468"
    # Deleting the stack leaves a bucket that holds objects, as CloudFormation's delete
    # fails on it: one warning each, and the objects are still there.
    deleted = httpx.delete(f"{server.endpoint}/_lambdalite/stacks/s3-resize", timeout=120)
    assert deleted.status_code == 200, deleted.text
    warnings = [line for line in deleted.json()["Progress"] if line.startswith("warning:")]
    assert len(warnings) == 2 and all("BucketNotEmpty" in line for line in warnings), warnings
    assert s3.head_object(Bucket=outputs["SourceBucketName"], Key="dog.jpeg")["ContentLength"]


@needs_moto
def test_web_conn_app_put_and_get_items_through_the_gateway(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "web-conn" / "template.yaml", "web-conn")
    assert response.status_code == 200, response.text
    progress = "\n".join(response.json()["Progress"])
    assert "AWS::DynamoDB::Table SampleTable ... done" in progress
    assert "warning" not in progress  # connectors are IAM policies: recorded, no noise
    api_id = _api_id(response.json()["Outputs"]["WebEndpoint"])
    put = httpx.post(
        _api(server, api_id, "Prod", "/"), json={"id": "id1", "name": "Ada"}, timeout=30
    )
    assert put.status_code == 200, put.text
    httpx.post(_api(server, api_id, "Prod", "/"), json={"id": "id2", "name": "Bo"}, timeout=30)
    one = httpx.get(_api(server, api_id, "Prod", "/id1"), timeout=30)
    assert one.status_code == 200, one.text
    assert one.json() == {"id": "id1", "name": "Ada"}
    every = httpx.get(_api(server, api_id, "Prod", "/"), timeout=30)
    assert [item["name"] for item in every.json()] == ["Ada", "Bo"]


@needs_moto
def test_table_stream_runs_a_function_with_a_layer_of_the_stack(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "table-stream" / "template.yaml", "table-stream")
    assert response.status_code == 200, response.text
    outputs = response.json()["Outputs"]
    assert outputs["LayerArn"].startswith("arn:aws:lambda:us-east-1:000000000000:layer:Shared:")
    name = [r for r in response.json()["Progress"] if "warning" in r]
    assert name == []
    server.client("dynamodb").put_item(
        TableName=outputs["TableName"], Item={"id": {"S": "o-1"}, "total": {"N": "3"}}
    )
    deadline = time.monotonic() + 30
    bodies: list[str] = []
    while not bodies and time.monotonic() < deadline:
        bodies = _received(server, outputs["ResultsUrl"])
    assert bodies == ["INSERT:o-1"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "unsatisfiable.yaml",
            "Broken: CreateFunction failed (InvalidParameterValueException): "
            "Building http-api-Broken-",
        ),
        (
            "missing_package.yaml",
            "Broken: handler app.handler cannot import: Unable to import module 'app': "
            "No module named 'no_such_package_anywhere'",
        ),
        (
            "raises.yaml",
            "Broken: handler app.handler cannot import: Unable to import module 'app': "
            "the config module needs SETTINGS_PATH",
        ),
    ],
)
def test_bad_code_is_one_error_naming_the_resource_and_the_previous_stack_runs(
    up: tuple[Server, str], template: str, message: str
) -> None:
    server, output = up
    api_id = output.split("Output HttpApiEndpoint: ", 1)[1].split()[0]
    sqs, lam = server.client("sqs"), server.client("lambda")
    queues_before = sqs.list_queues().get("QueueUrls", [])
    functions_before = lam.list_functions()["Functions"]
    response = _deploy(server, TEMPLATES / "bad" / template, "http-api")
    assert response.status_code == 400, response.text
    assert message in response.json()["Message"]
    if template == "unsatisfiable.yaml":  # pip's own reason follows
        assert (
            "No matching distribution found for lambdalite-no-such-package==1.0"
            in (response.json()["Message"])
        )
    assert sqs.list_queues().get("QueueUrls", []) == queues_before  # nothing half-deployed
    assert lam.list_functions()["Functions"] == functions_before
    answer = httpx.get(_api(server, api_id, "$default", "/still"), timeout=30)
    assert answer.status_code == 200 and answer.json()["seen"]["rawPath"] == "/still"

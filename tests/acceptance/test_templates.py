"""`lambdalite up`: public SAM app shapes deployed by the real CLI into a real server, then
driven with boto3; more stacks through the same server's stack route; bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import Server, advance, drain, free_port

TEMPLATES = Path(__file__).parent.parent / "fixtures" / "templates"


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """`lambdalite up` of the sqs-lambda app, serving on a virtual clock."""
    tmp = tmp_path_factory.mktemp("up")
    port = free_port()
    out = tmp / "up.log"
    env = {
        **os.environ,
        "LAMBDALITE_PORT": str(port),
        "LAMBDALITE_DATA_DIR": str(tmp / "data"),
        "LAMBDALITE_GATEWAY_PORT": str(free_port()),  # up serves the gateway too now
    }
    command = [
        sys.executable,
        "-m",
        "lambdalite.cli.main",
        "up",
        str(TEMPLATES / "sqs-lambda" / "template.yaml"),
        "--clock",
        "virtual",
        "--no-example",
    ]
    with open(out, "wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "Serving on" not in out.read_text():
        assert process.poll() is None and time.monotonic() < deadline, out.read_text()
        time.sleep(0.05)
    server = Server(process, f"http://127.0.0.1:{port}", tmp / "data", out)
    yield server, out.read_text()
    process.terminate()
    process.wait(timeout=30)


def _deploy(server: Server, template: Path, stack: str) -> httpx.Response:
    body = {"Template": str(template), "StackName": stack}
    return httpx.post(f"{server.endpoint}/_lambdalite/stacks", json=body, timeout=120)


def _outputs(server: Server, stack: str) -> dict[str, Any]:
    response = httpx.get(f"{server.endpoint}/_lambdalite/stacks/{stack}", timeout=30)
    response.raise_for_status()
    return dict(response.json()["Outputs"])


def _received(server: Server, url: str) -> list[str]:
    drain(server.endpoint)
    sqs = server.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in messages]


def test_up_prints_progress_the_runtime_stand_in_and_outputs(up: tuple[Server, str]) -> None:
    _, output = up
    assert "Creating AWS::SQS::Queue InputQueue ... done" in output
    assert "ConsumerFunction: python3.14 is not installed here; running it on python3." in output
    assert "Output InputQueueUrl: http://127.0.0.1:" in output


def test_sqs_app_a_message_sent_runs_the_function(up: tuple[Server, str]) -> None:
    server, _ = up
    outputs = _outputs(server, "sqs-lambda")
    server.client("sqs").send_message(QueueUrl=outputs["InputQueueUrl"], MessageBody="order-1")
    assert _received(server, outputs["ResultQueueUrl"]) == ["seen:order-1"]


def test_sns_app_and_an_export(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "sns-lambda" / "template.yaml", "sns")
    assert response.status_code == 200, response.text
    outputs = response.json()["Outputs"]
    assert response.json()["Exports"] == {"sns-topic": outputs["TopicArn"]}
    server.client("sns").publish(TopicArn=outputs["TopicArn"], Message="hi")
    [body] = _received(server, outputs["ResultsUrl"])
    assert json.loads(body)["Records"][0]["Sns"]["Message"] == "hi"


def test_scheduled_and_event_bridge_apps(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "scheduled" / "template.yaml", "scheduled")
    assert response.status_code == 200, response.text
    results = response.json()["Outputs"]["ResultsUrl"]
    advance(server.endpoint, 301)
    bodies = [json.loads(b) for b in _received(server, results)]
    assert [b["detail-type"] for b in bodies] == ["Scheduled Event"]
    server.client("events").put_events(
        Entries=[{"Source": "shop.orders", "DetailType": "Order", "Detail": '{"id": 7}'}]
    )
    bodies = [json.loads(b) for b in _received(server, results)]
    assert [b["detail"] for b in bodies] == [{"id": 7}]


def test_kinesis_app(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "kinesis" / "template.yaml", "kinesis")
    assert response.status_code == 200, response.text
    outputs = response.json()["Outputs"]
    server.client("kinesis").put_record(
        StreamName=outputs["StreamName"], Data=b"click", PartitionKey="k"
    )
    deadline = time.monotonic() + 30
    bodies: list[str] = []
    while not bodies and time.monotonic() < deadline:
        bodies = _received(server, outputs["ResultsUrl"])
    [record] = json.loads(bodies[0])["Records"]
    assert record["eventSource"] == "aws:kinesis"


def test_hello_app_imports_a_value_and_its_api_is_declared_or_warned(
    up: tuple[Server, str],
) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "hello" / "template.yaml", "hello")
    assert response.status_code == 200, response.text
    doc = response.json()
    progress = "\n".join(doc["Progress"])
    assert "AWS::ApiGateway::RestApi ServerlessRestApi" in progress
    assert doc["Outputs"]["HelloWorldApi"].endswith(
        ".execute-api.us-east-1.amazonaws.com/Prod/hello/"
    )
    name = doc["Outputs"]["HelloWorldFunction"].rsplit(":", 1)[1]
    env = server.client("lambda").get_function_configuration(FunctionName=name)["Environment"]
    assert env["Variables"]["TOPIC"].startswith("arn:aws:sns:")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "missing_handler.yaml",
            "Broken: handler app.nothing_here: app.py defines no 'nothing_here'",
        ),
        ("missing_code.yaml", "Lost: CodeUri ./no-such-dir/ does not exist"),
        ("cycle.yaml", "circular dependency: A -> B -> A"),
        ("unknown_intrinsic.yaml", "A: unknown intrinsic function Fn::Magic"),
        ("missing_ref.yaml", "A: refers to Nowhere, which is not a resource or parameter"),
        ("unparsable.yaml", "unparsable.yaml does not parse"),
    ],
)
def test_bad_input_is_one_clear_error_and_the_previous_stack_keeps_working(
    up: tuple[Server, str], template: str, message: str
) -> None:
    server, _ = up
    sqs = server.client("sqs")
    queues_before = sqs.list_queues().get("QueueUrls", [])
    response = _deploy(server, TEMPLATES / "bad" / template, "sqs-lambda")
    assert response.status_code == 400
    assert message in response.json()["Message"]
    assert sqs.list_queues().get("QueueUrls", []) == queues_before  # nothing half-deployed
    outputs = _outputs(server, "sqs-lambda")
    sqs.send_message(QueueUrl=outputs["InputQueueUrl"], MessageBody="still")
    assert _received(server, outputs["ResultQueueUrl"]) == ["seen:still"]


def test_running_up_again_applies_only_the_change(up: tuple[Server, str], tmp_path: Path) -> None:
    server, _ = up
    original = (TEMPLATES / "sqs-lambda" / "template.yaml").read_text()
    changed = tmp_path / "sqs-lambda" / "template.yaml"
    changed.parent.mkdir()
    (changed.parent / "src").symlink_to(TEMPLATES / "sqs-lambda" / "src")
    changed.write_text(original.replace("VisibilityTimeout: 30", "VisibilityTimeout: 45"))
    response = _deploy(server, changed, "sqs-lambda")
    assert response.status_code == 200, response.text
    touched = [line for line in response.json()["Progress"] if line.endswith("... done")]
    assert touched == ["Updating AWS::SQS::Queue InputQueue ... done"]
    url = response.json()["Outputs"]["InputQueueUrl"]
    attributes = server.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"


def test_down_deletes_the_stack(up: tuple[Server, str]) -> None:
    server, _ = up
    assert _deploy(server, TEMPLATES / "kinesis" / "template.yaml", "to-delete").status_code == 200
    stream = _outputs(server, "to-delete")["StreamName"]
    result = subprocess.run(
        [sys.executable, "-m", "lambdalite.cli.main", "down", "--stack-name", "to-delete",
         "--endpoint", server.endpoint],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Deleting AWS::Kinesis::Stream Stream" in result.stdout
    assert stream not in server.client("kinesis").list_streams()["StreamNames"]
    assert httpx.get(f"{server.endpoint}/_lambdalite/stacks/to-delete").status_code == 404


def test_a_custom_resource_is_invoked_and_its_response_awaited(up: tuple[Server, str]) -> None:
    server, _ = up
    response = _deploy(server, TEMPLATES / "custom" / "template.yaml", "custom")
    assert response.status_code == 200, response.text
    assert response.json()["Outputs"] == {"Greeting": "hello Ada", "Physical": "greeting-Ada"}

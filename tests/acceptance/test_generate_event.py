"""`lambdalite generate-event` and `invoke --event-from` as subprocesses against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, create

ECHO = "def handler(event, context):\n    return event\n"


def cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LAMBDALITE_ENDPOINT": server.endpoint,
        "LAMBDALITE_ACCOUNT_ID": "111122223333",
    }
    command = [sys.executable, "-m", "lambdalite.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_listing_generating_and_refusing(server: Server) -> None:
    listed = cli(server, "generate-event")
    assert listed.returncode == 0 and "cognito-user-pool" in listed.stdout
    kinds = cli(server, "generate-event", "s3")
    assert "put" in kinds.stdout and "--bucket" in kinds.stdout
    made = cli(server, "generate-event", "s3", "put", "--bucket", "photos", "--key=a.jpg")
    assert made.returncode == 0, made.stderr
    record = json.loads(made.stdout)["Records"][0]
    assert record["s3"]["bucket"]["name"] == "photos" and record["s3"]["object"]["key"] == "a.jpg"
    sns = json.loads(cli(server, "generate-event", "sns", "notification").stdout)
    # The account comes from LAMBDALITE_ACCOUNT_ID, as the server's does.
    assert sns["Records"][0]["Sns"]["TopicArn"] == "arn:aws:sns:us-east-1:111122223333:sns-lambda"
    for bad in (["nope"], ["s3", "nope"], ["s3", "put", "--colour", "red"], ["s3", "put", "x"]):
        refused = cli(server, "generate-event", *bad)
        assert refused.returncode == 2, bad
        assert "Error:" in refused.stderr and "Traceback" not in refused.stderr


def test_event_from_a_synchronous_service_answers_with_the_response(
    server: Server, lam: Any
) -> None:
    fn = create(lam, ECHO)
    out = cli(server, "invoke", fn, "--event-from", "apigateway", "aws-proxy", "--path", "/pets")
    assert out.returncode == 0, out.stderr
    assert "InvocationType=RequestResponse" in out.stderr
    echoed = json.loads(out.stdout)
    assert echoed["path"] == "/pets" and echoed["requestContext"]["accountId"] == "111122223333"


def test_event_from_an_asynchronous_service_is_queued(server: Server, lam: Any) -> None:
    fn = create(lam, ECHO)
    out = cli(server, "invoke", fn, "--event-from", "s3", "put", "--bucket", "in")
    assert out.returncode == 0, out.stderr
    assert "InvocationType=Event" in out.stderr
    assert out.stdout.startswith("accepted (202), request id ")
    request_id = out.stdout.split()[-1]
    drain(server.endpoint)
    journey = httpx.get(
        f"{server.endpoint}/_lambdalite/async-events", params={"request-id": request_id}
    ).json()
    assert journey["functionName"] == fn
    assert journey["attempts"] == 1 and journey["finishedAt"] is not None, journey
    refused = cli(server, "invoke", fn, "--payload", "{}", "--event-from", "s3", "put")
    assert refused.returncode == 2

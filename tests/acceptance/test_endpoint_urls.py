"""URLs handed out (queue URLs, code locations) follow the host the client addressed."""

from __future__ import annotations

import boto3

from tests.acceptance.conftest import Server


def test_queue_urls_use_the_requested_host(server: Server) -> None:
    by_name = boto3.client(
        "sqs",
        endpoint_url=server.endpoint.replace("127.0.0.1", "localhost"),
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    url = by_name.create_queue(QueueName="where-am-i")["QueueUrl"]
    port = server.endpoint.rsplit(":", 1)[1]
    assert url == f"http://localhost:{port}/000000000000/where-am-i"
    by_ip = server.client("sqs").get_queue_url(QueueName="where-am-i")["QueueUrl"]
    assert by_ip == f"{server.endpoint}/000000000000/where-am-i"

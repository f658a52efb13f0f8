"""Durability: everything SQS acknowledged survives a SIGKILL of the server, and messages
in flight at the crash become visible again after their visibility timeout."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.conftest import start_server, stop_server
from tests.acceptance.test_sqs_support import advance, bodies, receive


def test_messages_survive_kill_9(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        sqs = server.client("sqs")
        url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "30"})[
            "QueueUrl"
        ]
        entries = [{"Id": f"m{i}", "MessageBody": f"body-{i}"} for i in range(5)]
        assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 5
        sqs.send_message(QueueUrl=url, MessageBody="body-5")
        in_flight = receive(sqs, url, 2)
        assert len(in_flight) == 2
        sqs.delete_message(QueueUrl=url, ReceiptHandle=in_flight[0]["ReceiptHandle"])
    finally:
        server.process.kill()  # SIGKILL: no shutdown, no checkpoint
        server.process.wait(timeout=10)
    restarted = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        sqs = restarted.client("sqs")
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "30"
        assert attrs["ApproximateNumberOfMessages"] == "4"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
        advance(restarted, 31)
        everything = sorted(bodies(receive(sqs, url, 10)))
        expected = sorted(f"body-{i}" for i in range(6))
        expected.remove(in_flight[0]["Body"])
        assert everything == expected
    finally:
        stop_server(restarted)

"""The Prometheus families read from the components at scrape time (brief 5.2): execution
environments by state, the async queue's depth, SQS queue depths, AWS API requests by
service, operation and status class, and build_info, parsed with prometheus_client."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

OK = "def handler(event, context):\n    return 1\n"
FAILS = "def handler(event, context):\n    raise ValueError('again')\n"
_REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("prom"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def scrape(srv: Server) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """family name -> {sorted label items: value} (counters under their family name)."""
    text = httpx.get(f"{srv.endpoint}/_lambdalite/metrics").text
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            out.setdefault(sample.name, {})[labels] = sample.value
    return out


def test_environments_queues_requests_and_build_info(srv: Server) -> None:
    lam, sqs = srv.client("lambda"), srv.client("sqs")
    ok, bad = create(lam, OK), create(lam, FAILS)
    lam.invoke(FunctionName=ok, Payload=b"{}")
    lam.invoke(FunctionName=ok, Payload=b"{}")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName="no-such-function")
    name = f"pq-{os.getpid()}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName="no-such-queue")
    # an Event invocation that fails once waits for its retry (a minute on the clock)
    lam.invoke(FunctionName=bad, InvocationType="Event", Payload=b"{}")
    drain(srv.endpoint)

    m = scrape(srv)
    envs = m["lambdalite_execution_environments"]
    assert envs[(("function", ok), ("state", "idle"))] == 1.0
    assert (("function", ok), ("state", "busy")) not in envs
    assert m["lambdalite_async_queue_events"] == {
        (("function", bad), ("state", "scheduled_retry")): 1.0
    }
    sqs_messages = m["lambdalite_sqs_messages"]
    assert {k: v for k, v in sqs_messages.items() if ("queue", name) in k} == {
        (("queue", name), ("state", "visible")): 2.0,
        (("queue", name), ("state", "in_flight")): 1.0,
        (("queue", name), ("state", "delayed")): 1.0,
    }
    api = m["lambdalite_api_requests_total"]

    def requests(service: str, operation: str, status: str) -> float:
        key = (("operation", operation), ("service", service), ("status_class", status))
        return api.get(key, 0.0)

    assert requests("lambda", "Invoke", "2xx") == 3.0  # two sync, one Event (202)
    assert requests("lambda", "GetFunction", "4xx") == 1.0
    assert requests("sqs", "SendMessage", "2xx") == 4.0
    assert requests("sqs", "ReceiveMessage", "2xx") == 1.0
    assert requests("sqs", "GetQueueUrl", "4xx") == 1.0
    assert requests("lambda", "CreateFunction", "2xx") >= 2.0
    (build,) = m["lambdalite_build_info"]
    assert dict(build)["store"] == "sqlite" and set(dict(build)) == {"version", "python", "store"}
    # no label value is a request id
    for samples in m.values():
        for labels in samples:
            assert not any(_REQUEST_ID.match(v) for _, v in labels), labels


def test_unknown_operations_share_one_label(srv: Server) -> None:
    r = httpx.post(
        srv.endpoint,
        headers={
            "X-Amz-Target": "AmazonSQS.NoSuchThing",
            "Content-Type": "application/x-amz-json-1.0",
        },
        content=b"{}",
    )
    assert r.status_code == 400
    api = scrape(srv)["lambdalite_api_requests_total"]
    assert api[(("operation", "unknown"), ("service", "sqs"), ("status_class", "4xx"))] == 1.0
    assert not any(("operation", "NoSuchThing") in k for k in api)

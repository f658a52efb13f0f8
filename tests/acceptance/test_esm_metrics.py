"""MetricsConfig on event source mappings against a real server on the virtual clock: the
API members and their errors, and the EventCount metrics (dimension EventSourceMappingUUID)
an SQS and a Kinesis mapping publish through filters, partial failures, retries and an
on-failure destination, read back with boto3's get_metric_data; none without MetricsConfig
(Prometheus counts every mapping's events all the same)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import advance, clock_now, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

EVENT_COUNTS = (
    "PolledEventCount",
    "FilteredOutEventCount",
    "InvokedEventCount",
    "FailedInvokeEventCount",
    "DroppedEventCount",
    "OnFailureDestinationDeliveredEventCount",
    "DeletedEventCount",
)

# SQS: reports the messages whose body says {"kind": "fail"} as batch item failures.
SQS_HANDLER = """
import json

def handler(event, context):
    failed = [r["messageId"] for r in event["Records"] if json.loads(r["body"])["kind"] == "fail"]
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
"""
# Kinesis: raises while a record {"v": "poison"} is in its batch.
KINESIS_HANDLER = """
import base64, json

def handler(event, context):
    for r in event["Records"]:
        if json.loads(base64.b64decode(r["kinesis"]["data"]))["v"] == "poison":
            raise ValueError("poison")
    return {}
"""
_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("esmm"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return srv.client("sqs")


def new_queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"mq-{os.getpid()}-{next(_names)}")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, attrs["QueueArn"]


def new_stream(kinesis: Any) -> str:
    name = f"ms-{os.getpid()}-{next(_names)}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.05})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return str(summary["StreamARN"])


def event_counts(srv: Server, uuid: str) -> dict[str, float]:
    """Every EventCount metric of the mapping, summed over the hour around now."""
    now = clock_now(srv.endpoint)
    cw = srv.client("cloudwatch")
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": name,
                    "Dimensions": [{"Name": "EventSourceMappingUUID", "Value": uuid}],
                },
                "Period": 60,
                "Stat": "Sum",
            },
        }
        for i, name in enumerate(EVENT_COUNTS)
    ]
    r = cw.get_metric_data(
        MetricDataQueries=queries,
        StartTime=datetime.fromtimestamp(now - 3600, tz=UTC),
        EndTime=datetime.fromtimestamp(now + 60, tz=UTC),
    )
    by_id = {q["Id"]: q["MetricStat"]["Metric"]["MetricName"] for q in queries}
    return {by_id[x["Id"]]: sum(x["Values"]) for x in r["MetricDataResults"] if x["Values"]}


def prometheus_counts(srv: Server, uuid: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{srv.endpoint}/_lambdalite/metrics").text
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "lambdalite_esm_events_total" and sample.labels["mapping"] == uuid:
                out[sample.labels["stage"]] = sample.value
    return out


def test_metrics_config_is_stored_returned_changed_and_removed(lam: Any, sqs: Any) -> None:
    fn = create(lam, SQS_HANDLER)
    _, arn = new_queue(sqs)
    created = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=arn, MetricsConfig={"Metrics": ["EventCount"]}
    )
    uuid = created["UUID"]
    assert created["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert lam.get_event_source_mapping(UUID=uuid)["MetricsConfig"] == {"Metrics": ["EventCount"]}
    (listed,) = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert listed["MetricsConfig"] == {"Metrics": ["EventCount"]}
    updated = lam.update_event_source_mapping(UUID=uuid, MetricsConfig={"Metrics": []})
    assert "MetricsConfig" not in updated
    assert "MetricsConfig" not in lam.get_event_source_mapping(UUID=uuid)
    updated = lam.update_event_source_mapping(UUID=uuid, MetricsConfig={"Metrics": ["EventCount"]})
    assert updated["MetricsConfig"] == {"Metrics": ["EventCount"]}
    lam.update_event_source_mapping(UUID=uuid, BatchSize=5)  # other changes keep it
    assert lam.get_event_source_mapping(UUID=uuid)["MetricsConfig"] == {"Metrics": ["EventCount"]}
    # without MetricsConfig AWS leaves the member out
    _, other = new_queue(sqs)
    plain = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=other)
    assert "MetricsConfig" not in plain


@pytest.mark.parametrize(
    ("metrics", "code"),
    [
        (["ErrorCount"], "InvalidParameterValueException"),  # Kafka's
        (["KafkaMetrics"], "InvalidParameterValueException"),
        (["EventCount", "ErrorCount"], "InvalidParameterValueException"),
        (["Bogus"], "ValidationException"),  # not in the model's enum
    ],
)
def test_metrics_that_do_not_apply_are_refused(
    lam: Any, sqs: Any, metrics: list[str], code: str
) -> None:
    fn = create(lam, SQS_HANDLER)
    _, arn = new_queue(sqs)
    with pytest.raises(ClientError) as err:
        lam.create_event_source_mapping(
            FunctionName=fn, EventSourceArn=arn, MetricsConfig={"Metrics": metrics}
        )
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []


def test_sqs_event_counts_through_a_filter_and_a_partial_failure(
    srv: Server, lam: Any, sqs: Any
) -> None:
    fn = create(lam, SQS_HANDLER)
    uuids = []
    for config in ({"MetricsConfig": {"Metrics": ["EventCount"]}}, {}):
        url, arn = new_queue(sqs)
        for kind in ("keep", "keep", "skip", "keep", "fail", "skip"):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": kind}))
        uuids.append(
            lam.create_event_source_mapping(
                FunctionName=fn,
                EventSourceArn=arn,
                FilterCriteria={"Filters": [{"Pattern": '{"body": {"kind": ["keep", "fail"]}}'}]},
                FunctionResponseTypes=["ReportBatchItemFailures"],
                **config,
            )["UUID"]
        )
    drain(srv.endpoint)
    with_config, without = uuids

    assert event_counts(srv, with_config) == {
        "PolledEventCount": 6.0,
        "FilteredOutEventCount": 2.0,
        "InvokedEventCount": 4.0,
        "FailedInvokeEventCount": 1.0,
        "DeletedEventCount": 3.0,
    }
    assert event_counts(srv, without) == {}
    cw = srv.client("cloudwatch")
    listed = cw.list_metrics(
        Namespace="AWS/Lambda", Dimensions=[{"Name": "EventSourceMappingUUID", "Value": without}]
    )
    assert listed["Metrics"] == []
    # Prometheus counts both mappings (the brief: always on there)
    expected = {"polled": 6.0, "filtered_out": 2.0, "invoked": 4.0, "failed_invoke": 1.0}
    expected["deleted"] = 3.0
    assert prometheus_counts(srv, with_config) == expected
    assert prometheus_counts(srv, without) == expected

    # The failed message comes back after its visibility timeout (30 s) and fails again.
    advance(srv.endpoint, 31)
    drain(srv.endpoint)
    counts = event_counts(srv, with_config)
    assert (counts["PolledEventCount"], counts["InvokedEventCount"]) == (7.0, 5.0)
    assert (counts["FailedInvokeEventCount"], counts["DeletedEventCount"]) == (2.0, 3.0)


def test_kinesis_event_counts_through_retries_into_the_on_failure_destination(
    srv: Server, lam: Any, sqs: Any
) -> None:
    kinesis = srv.client("kinesis")
    fn = create(lam, KINESIS_HANDLER)
    stream = new_stream(kinesis)
    url, qarn = new_queue(sqs)
    for v in ("a", "skip", "poison", "b"):
        kinesis.put_record(StreamARN=stream, Data=json.dumps({"v": v}).encode(), PartitionKey="k")
    uuid = lam.create_event_source_mapping(
        FunctionName=fn,
        EventSourceArn=stream,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        MaximumRetryAttempts=1,
        FilterCriteria={"Filters": [{"Pattern": '{"data": {"v": [{"anything-but": "skip"}]}}'}]},
        DestinationConfig={"OnFailure": {"Destination": qarn}},
        MetricsConfig={"Metrics": ["EventCount"]},
    )["UUID"]
    drain(srv.endpoint)
    assert event_counts(srv, uuid) == {
        "PolledEventCount": 4.0,
        "FilteredOutEventCount": 1.0,
        "InvokedEventCount": 3.0,
        "FailedInvokeEventCount": 3.0,
    }
    advance(srv.endpoint, 2)  # the retry's back-off: it fails again, and the batch goes
    drain(srv.endpoint)
    assert event_counts(srv, uuid) == {
        "PolledEventCount": 4.0,
        "FilteredOutEventCount": 1.0,
        "InvokedEventCount": 6.0,
        "FailedInvokeEventCount": 6.0,
        "DroppedEventCount": 3.0,
        "OnFailureDestinationDeliveredEventCount": 3.0,
    }
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1 and json.loads(got[0]["Body"])["KinesisBatchInfo"]["batchSize"] == 3

    # the shard goes on; turning the metrics off stops CloudWatch's counts
    kinesis.put_record(StreamARN=stream, Data=b'{"v": "c"}', PartitionKey="k")
    drain(srv.endpoint)
    assert event_counts(srv, uuid)["InvokedEventCount"] == 7.0
    lam.update_event_source_mapping(UUID=uuid, MetricsConfig={"Metrics": []})
    drain(srv.endpoint)
    kinesis.put_record(StreamARN=stream, Data=b'{"v": "d"}', PartitionKey="k")
    drain(srv.endpoint)
    assert event_counts(srv, uuid)["InvokedEventCount"] == 7.0
    assert prometheus_counts(srv, uuid)["invoked"] == 8.0

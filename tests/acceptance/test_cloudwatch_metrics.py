"""CloudWatch metrics against a real server on the virtual clock: AWS/Lambda datapoints from
invocations (exact values, no zero-filled minutes), throttles, async metrics, custom
metrics over JSON (boto3), query (botocore's query serializer) and the aws CLI, errors with
CloudWatch's codes, the console's chart twin and the Prometheus scrape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import advance, clock_now, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

OK = "def handler(event, context):\n    return {'ok': True}\n"
FAILS = "def handler(event, context):\n    raise ValueError('planned')\n"


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("metrics"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def lam(vserver: Server) -> Any:
    return vserver.client("lambda")


@pytest.fixture(scope="module")
def cw(vserver: Server) -> Any:
    return vserver.client("cloudwatch")


def minute(at: float) -> float:
    return float(int(at // 60) * 60)


def sums(cw: Any, name: str, dims: dict[str, str], start: float, end: float) -> dict[float, float]:
    r = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=datetime.fromtimestamp(start, tz=UTC),
        EndTime=datetime.fromtimestamp(end, tz=UTC),
        Period=60,
        Statistics=["Sum"],
    )
    return {p["Timestamp"].timestamp(): p["Sum"] for p in r["Datapoints"]}


def test_invocations_errors_and_duration_land_in_their_minutes_without_zero_fill(
    vserver: Server, lam: Any, cw: Any
) -> None:
    ok, bad = create(lam, OK), create(lam, FAILS)
    t0 = clock_now(vserver.endpoint)
    lam.invoke(FunctionName=ok, Payload=b"{}")
    lam.invoke(FunctionName=ok, Payload=b"{}")
    lam.invoke(FunctionName=bad, Payload=b"{}")
    advance(vserver.endpoint, 180)  # two empty minutes, then one more invoke
    t1 = clock_now(vserver.endpoint)
    lam.invoke(FunctionName=ok, Payload=b"{}")
    start, end = minute(t0), minute(t1) + 60

    assert sums(cw, "Invocations", {"FunctionName": ok}, start, end) == {
        minute(t0): 2.0,
        minute(t1): 1.0,
    }
    assert sums(cw, "Errors", {"FunctionName": ok}, start, end) == {}
    assert sums(cw, "Invocations", {"FunctionName": bad}, start, end) == {minute(t0): 1.0}
    assert sums(cw, "Errors", {"FunctionName": bad}, start, end) == {minute(t0): 1.0}
    account = sums(cw, "Invocations", {}, start, end)
    assert account[minute(t0)] >= 3.0 and minute(t0) + 60 not in account

    r = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=[{"Name": "FunctionName", "Value": ok}],
        StartTime=datetime.fromtimestamp(start, tz=UTC),
        EndTime=datetime.fromtimestamp(end, tz=UTC),
        Period=3600,
        ExtendedStatistics=["p50", "p99"],
    )
    (point,) = r["Datapoints"]
    assert point["Unit"] == "Milliseconds"
    assert 0 < point["ExtendedStatistics"]["p50"] <= point["ExtendedStatistics"]["p99"]


def test_get_metric_data_stats_math_and_the_chart_twin_agree(
    vserver: Server, lam: Any, cw: Any
) -> None:
    fn, bad = create(lam, OK), create(lam, FAILS)
    t0 = clock_now(vserver.endpoint)
    for _ in range(3):
        lam.invoke(FunctionName=fn, Payload=b"{}")
    lam.invoke(FunctionName=bad, Payload=b"{}")
    advance(vserver.endpoint, 60)
    lam.invoke(FunctionName=fn, Payload=b"{}")
    start, end = minute(t0), minute(t0) + 180

    def stat(qid: str, name: str, function: str) -> dict[str, Any]:
        metric = {
            "Namespace": "AWS/Lambda",
            "MetricName": name,
            "Dimensions": [{"Name": "FunctionName", "Value": function}],
        }
        return {"Id": qid, "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}}

    r = cw.get_metric_data(
        MetricDataQueries=[
            stat("inv", "Invocations", fn),
            stat("errs", "Errors", bad),
            stat("binv", "Invocations", bad),
            {"Id": "rate", "Expression": "100 - 100 * errs / MAX([errs, binv])"},
            {"Id": "total", "Expression": "SUM([inv, binv])", "Label": "All"},
        ],
        StartTime=datetime.fromtimestamp(start, tz=UTC),
        EndTime=datetime.fromtimestamp(end, tz=UTC),
        ScanBy="TimestampAscending",
    )
    results = {x["Id"]: x for x in r["MetricDataResults"]}
    inv = results["inv"]
    assert inv["Label"] == "Invocations" and inv["StatusCode"] == "Complete"
    assert [t.timestamp() for t in inv["Timestamps"]] == [start, start + 60]
    assert inv["Values"] == [3.0, 1.0]
    assert results["rate"]["Values"] == [0.0]
    assert results["total"]["Label"] == "All" and results["total"]["Values"] == [4.0, 1.0]

    chart = httpx.get(
        f"{vserver.endpoint}/_lambdalite/api/metrics",
        params={
            "metric": "Invocations",
            "dim.FunctionName": fn,
            "stat": "Sum",
            "period": 60,
            "start": start,
            "end": end,
        },
    ).json()
    assert chart["timestamps"] == [t.timestamp() for t in inv["Timestamps"]]
    assert chart["values"] == inv["Values"]


def test_a_throttle_counts_as_throttles_only(vserver: Server, lam: Any, cw: Any) -> None:
    import boto3
    from botocore.config import Config

    fn = create(lam, OK)
    lam.put_function_concurrency(FunctionName=fn, ReservedConcurrentExecutions=0)
    once = boto3.client(
        "lambda",
        endpoint_url=vserver.endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),  # no client retry of the 429
    )
    t0 = clock_now(vserver.endpoint)
    with pytest.raises(ClientError):
        once.invoke(FunctionName=fn, Payload=b"{}")
    start, end = minute(t0), minute(t0) + 60
    assert sums(cw, "Throttles", {"FunctionName": fn}, start, end) == {minute(t0): 1.0}
    assert sums(cw, "Invocations", {"FunctionName": fn}, start, end) == {}
    assert sums(cw, "Errors", {"FunctionName": fn}, start, end) == {}


def test_an_async_event_that_exhausts_its_retries_records_age_and_a_drop(
    vserver: Server, lam: Any, cw: Any
) -> None:
    fn = create(lam, FAILS)
    t0 = clock_now(vserver.endpoint)
    lam.invoke(FunctionName=fn, InvocationType="Event", Payload=b"{}")
    drain(vserver.endpoint)
    for _ in range(2):  # the retries: 60 s, then 120 s later
        advance(vserver.endpoint, 180)
        drain(vserver.endpoint)
    start, end = minute(t0), minute(t0) + 600
    dims = {"FunctionName": fn}
    assert sum(sums(cw, "AsyncEventsReceived", dims, start, end).values()) == 1.0
    assert sum(sums(cw, "Invocations", dims, start, end).values()) == 3.0
    assert sum(sums(cw, "Errors", dims, start, end).values()) == 3.0
    assert sum(sums(cw, "AsyncEventsDropped", dims, start, end).values()) == 1.0
    r = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="AsyncEventAge",
        Dimensions=[{"Name": "FunctionName", "Value": fn}],
        StartTime=datetime.fromtimestamp(start, tz=UTC),
        EndTime=datetime.fromtimestamp(end, tz=UTC),
        Period=600,
        Statistics=["SampleCount", "Minimum", "Maximum"],
    )
    (point,) = r["Datapoints"]
    assert point["SampleCount"] == 3.0 and point["Unit"] == "Milliseconds"
    assert point["Minimum"] < 1_000 and point["Maximum"] >= 240_000


def test_put_metric_data_and_list_metrics(vserver: Server, cw: Any) -> None:
    now = clock_now(vserver.endpoint)
    cw.put_metric_data(
        Namespace="App",
        MetricData=[
            {
                "MetricName": "Orders",
                "Dimensions": [{"Name": "Shop", "Value": "a/b=c"}],
                "Values": [1.0, 5.0],
                "Counts": [2.0, 1.0],
                "Unit": "Count",
            }
        ],
    )
    r = cw.get_metric_statistics(
        Namespace="App",
        MetricName="Orders",
        Dimensions=[{"Name": "Shop", "Value": "a/b=c"}],
        StartTime=datetime.fromtimestamp(now - 60, tz=UTC),
        EndTime=datetime.fromtimestamp(now + 60, tz=UTC),
        Period=60,
        Statistics=["Sum", "SampleCount", "Maximum"],
    )
    (point,) = r["Datapoints"]
    assert (point["Sum"], point["SampleCount"], point["Maximum"]) == (7.0, 3.0, 5.0)
    listed = cw.list_metrics(Namespace="App")["Metrics"]
    assert listed == [
        {
            "Namespace": "App",
            "MetricName": "Orders",
            "Dimensions": [{"Name": "Shop", "Value": "a/b=c"}],
        }
    ]


def test_bad_queries_get_cloudwatchs_errors(cw: Any) -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    cases = [
        (dict(Statistics=["Sum"], ExtendedStatistics=["p99"]), "InvalidParameterCombination"),
        (dict(Statistics=["Sum"], Period=61), "InvalidParameterValue"),
        (
            dict(Statistics=["Sum"], Period=60, EndTime=datetime(2026, 1, 3, tzinfo=UTC)),
            "InvalidParameterCombination",
        ),
    ]
    for extra, code in cases:
        params: dict[str, Any] = dict(
            Namespace="AWS/Lambda",
            MetricName="Invocations",
            StartTime=t,
            EndTime=t.replace(hour=1),
            Period=60,
        )
        params.update(extra)
        with pytest.raises(ClientError) as err:
            cw.get_metric_statistics(**params)
        assert err.value.response["Error"]["Code"] == code, extra
    with pytest.raises(ClientError) as err:
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "X", "Value": 1.0}])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as err:
        cw.get_metric_data(
            MetricDataQueries=[{"Id": "Bad", "Expression": "1"}],
            StartTime=t,
            EndTime=t.replace(hour=1),
        )
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_the_query_protocol_gets_the_same_answer(vserver: Server, cw: Any) -> None:
    now = clock_now(vserver.endpoint)
    cw.put_metric_data(
        Namespace="Q", MetricData=[{"MetricName": "M", "Value": 2.5, "Unit": "Seconds"}]
    )
    form = {
        "Action": "GetMetricStatistics",
        "Version": "2010-08-01",
        "Namespace": "Q",
        "MetricName": "M",
        "StartTime": datetime.fromtimestamp(now - 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EndTime": datetime.fromtimestamp(now + 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Period": "60",
        "Statistics.member.1": "Sum",
    }
    r = httpx.post(vserver.endpoint, data=form)
    assert r.status_code == 200, r.text
    assert "<Sum>2.5</Sum>" in r.text and "<Unit>Seconds</Unit>" in r.text
    bad = httpx.post(vserver.endpoint, data={**form, "Period": "7"})
    assert bad.status_code == 400 and "<Code>InvalidParameterValue</Code>" in bad.text


def test_the_aws_cli_puts_and_reads_metrics(vserver: Server) -> None:
    now = clock_now(vserver.endpoint)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    base = [sys.executable, "-m", "awscli", "--endpoint-url", vserver.endpoint, "cloudwatch"]
    subprocess.run(
        [*base, "put-metric-data", "--namespace", "Cli", "--metric-name", "Hits", "--value", "4"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    queries = [
        {
            "Id": "h",
            "MetricStat": {
                "Metric": {"Namespace": "Cli", "MetricName": "Hits"},
                "Period": 60,
                "Stat": "Sum",
            },
        }
    ]
    out = subprocess.run(
        [*base, "get-metric-data", "--metric-data-queries", json.dumps(queries),
         "--start-time", str(int(now - 60)), "--end-time", str(int(now + 60))],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    (result,) = json.loads(out.stdout)["MetricDataResults"]
    assert result["Values"] == [4.0] and result["StatusCode"] == "Complete"


def test_a_stream_batch_records_its_iterator_age(vserver: Server, lam: Any, cw: Any) -> None:
    kinesis = vserver.client("kinesis")
    fn = create(lam, OK)
    kinesis.create_stream(StreamName="ages", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="ages", WaiterConfig={"Delay": 0.05})
    arn = kinesis.describe_stream_summary(StreamName="ages")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    kinesis.put_record(StreamARN=arn, Data=b"one", PartitionKey="k")
    advance(vserver.endpoint, 30)  # the record waits 30 s before a mapping reads it
    t0 = clock_now(vserver.endpoint)
    lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=arn, StartingPosition="TRIM_HORIZON"
    )
    drain(vserver.endpoint)
    r = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": fn}],
        StartTime=datetime.fromtimestamp(minute(t0), tz=UTC),
        EndTime=datetime.fromtimestamp(minute(t0) + 120, tz=UTC),
        Period=120,
        Statistics=["Maximum", "SampleCount"],
    )
    (point,) = r["Datapoints"]
    assert point["SampleCount"] == 1.0 and point["Unit"] == "Milliseconds"
    assert 30_000 <= point["Maximum"] < 31_000

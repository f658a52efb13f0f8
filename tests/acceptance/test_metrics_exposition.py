"""EMF lines become metrics; the Prometheus scrape parses, carries bounded labels and
agrees with CloudWatch; metric buckets survive a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lambdalite.testing import clock_now
from tests.acceptance.conftest import Server, create, start_server, stop_server

EMF = """import json
def handler(event, context):
    print(json.dumps({
        "_aws": {"CloudWatchMetrics": [{
            "Namespace": "Shop", "Dimensions": [["Service"], []],
            "Metrics": [{"Name": "Orders", "Unit": "Count"},
                        {"Name": "Latency", "Unit": "Milliseconds"}],
        }]},
        "Service": "cart", "Orders": 2, "Latency": [10, 30],
    }))
    return "ok"
"""
BOUNDED_LABELS = {"function", "qualifier", "type", "outcome", "le", "reason", "mapping", "stage"}
BOUNDED_LABELS |= {"version", "python", "store"}  # lambdalite_build_info
BOUNDED_LABELS |= {"state", "queue", "service", "operation", "status_class"}
OK = "def handler(event, context):\n    return 1\n"


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("expo"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


def statistics(cw: Any, ns: str, name: str, dims: dict[str, str], at: float) -> list[Any]:
    r = cw.get_metric_statistics(
        Namespace=ns,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=datetime.fromtimestamp(at - 120, tz=UTC),
        EndTime=datetime.fromtimestamp(at + 120, tz=UTC),
        Period=300 - 60,
        Statistics=["Sum", "SampleCount"],
    )
    return list(r["Datapoints"])


def test_an_emf_line_becomes_metrics(vserver: Server) -> None:
    lam, cw = vserver.client("lambda"), vserver.client("cloudwatch")
    fn = create(lam, EMF)
    now = clock_now(vserver.endpoint)
    lam.invoke(FunctionName=fn, Payload=b"{}")
    lam.invoke(FunctionName=fn, Payload=b"{}")
    # A line is read before the invoke answers (its END line follows it on the same pipe).
    (orders,) = statistics(cw, "Shop", "Orders", {"Service": "cart"}, now)
    assert (orders["Sum"], orders["SampleCount"], orders["Unit"]) == (4.0, 2.0, "Count")
    (latency,) = statistics(cw, "Shop", "Latency", {}, now)
    assert (latency["Sum"], latency["SampleCount"], latency["Unit"]) == (80.0, 4.0, "Milliseconds")


def test_the_prometheus_scrape_parses_has_bounded_labels_and_matches_cloudwatch(
    vserver: Server,
) -> None:
    lam, cw = vserver.client("lambda"), vserver.client("cloudwatch")
    fn = create(lam, OK)
    now = clock_now(vserver.endpoint)
    rids = [
        lam.invoke(FunctionName=fn, Payload=b"{}")["ResponseMetadata"]["RequestId"]
        for _ in range(3)
    ]
    r = httpx.get(f"{vserver.endpoint}/_lambdalite/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    invocations = families["lambdalite_invocations"]  # the parser drops _total
    assert invocations.type == "counter"
    mine = [s for s in invocations.samples if s.labels.get("function") == fn]
    assert [(s.labels, s.value) for s in mine] == [
        ({"function": fn, "qualifier": "$LATEST", "type": "sync", "outcome": "success"}, 3.0)
    ]
    (cw_point,) = statistics(cw, "AWS/Lambda", "Invocations", {"FunctionName": fn}, now)
    assert cw_point["Sum"] == mine[0].value
    duration = families["lambdalite_invocation_duration_seconds"]
    assert duration.type == "histogram"
    counts = [
        s for s in duration.samples if s.name.endswith("_count") and s.labels["function"] == fn
    ]
    assert counts[0].value == 3.0
    for family in families.values():
        for sample in family.samples:
            assert not any(rid in value for rid in rids for value in sample.labels.values())
            assert set(sample.labels) <= BOUNDED_LABELS


def test_metric_buckets_survive_a_restart(tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("restart")
    first = start_server(tmp, "--no-example", "--clock", "virtual")
    try:
        cw = first.client("cloudwatch")
        now = clock_now(first.endpoint)
        cw.put_metric_data(Namespace="Keep", MetricData=[{"MetricName": "M", "Value": 3.0}])
    finally:
        stop_server(first)
    second = start_server(tmp, "--no-example", "--clock", "virtual")
    try:
        cw = second.client("cloudwatch")
        r = cw.get_metric_statistics(
            Namespace="Keep",
            MetricName="M",
            StartTime=datetime.fromtimestamp(now - 60, tz=UTC),
            EndTime=datetime.fromtimestamp(now + 60, tz=UTC),
            Period=60,
            Statistics=["Sum"],
        )
        assert [p["Sum"] for p in r["Datapoints"]] == [3.0]
    finally:
        stop_server(second)

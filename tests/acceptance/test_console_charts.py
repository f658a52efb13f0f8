"""The function page's charts show GetMetricData's numbers: each chart's own URL (read
from the page, as the browser does) answers the same datapoints as boto3's
`get_metric_data` over the same window, on the virtual clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from typing import Any

import httpx
import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

FLAKY = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("planned")
    return 1
"""
_CHART = re.compile(r'<figure class="chart"[^>]*data-src="([^"]+)"')


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("charts"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


def _page_charts(endpoint: str, name: str) -> list[str]:
    page = httpx.get(f"{endpoint}/_lambdalite/ui/functions/{name}")
    assert page.status_code == 200
    return [unescape(src) for src in _CHART.findall(page.text)]


def _get_metric_data(cw: Any, chart: dict[str, Any], metric: str, name: str) -> dict[str, Any]:
    query = {
        "Id": "m",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": name}],
            },
            "Period": chart["period"],
            "Stat": chart["stat"],
        },
    }
    result: dict[str, Any] = cw.get_metric_data(
        MetricDataQueries=[query],
        StartTime=datetime.fromtimestamp(chart["start"], tz=UTC),
        EndTime=datetime.fromtimestamp(chart["end"], tz=UTC),
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    return result


def test_every_chart_on_the_function_page_equals_get_metric_data(vserver: Server) -> None:
    lam, cw = vserver.client("lambda"), vserver.client("cloudwatch")
    name = create(lam, FLAKY)
    for minute, payloads in enumerate([[b"{}", b"{}", b'{"fail": 1}'], [b"{}"], [b'{"fail": 1}']]):
        if minute:
            advance(vserver.endpoint, 60)
        for payload in payloads:
            lam.invoke(FunctionName=name, Payload=payload)
    drain(vserver.endpoint)

    charts = _page_charts(vserver.endpoint, name)
    assert len(charts) == 4
    seen: dict[str, list[float]] = {}
    for src in charts:
        chart = httpx.get(vserver.endpoint + src).json()
        metric = re.search(r"metric=(\w+)", src).group(1)  # type: ignore[union-attr]
        expected = _get_metric_data(cw, chart, metric, name)
        assert chart["timestamps"] == [t.timestamp() for t in expected["Timestamps"]], metric
        assert chart["values"] == expected["Values"], metric
        seen[metric] = chart["values"]
    # The numbers themselves: three minutes of invocations, errors in the first and last.
    assert seen["Invocations"] == [3.0, 1.0, 1.0]
    assert seen["Errors"] == [1.0, 1.0]
    assert seen["Throttles"] == []
    assert len(seen["Duration"]) == 3

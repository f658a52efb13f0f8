"""lambdalite's metric routes: the Prometheus scrape and the console's chart data.

- ``GET /_lambdalite/metrics``: Prometheus text format 0.0.4 (observe/metrics/prometheus.py),
  folded from the same outcomes as CloudWatch; no store I/O.
- ``GET /_lambdalite/api/metrics?namespace=&metric=&stat=&period=&start=&end=&dim.NAME=VALUE``:
  one series as ``{"label", "timestamps" (epoch seconds, ascending), "values"}`` with the
  window, period and stat it was asked for, computed by the very GetMetricData code, so a
  chart shows what ``get-metric-data`` returns. The window defaults to the three hours up to
  the next minute of the platform clock (not the browser's: the clock may be virtual).
"""

from __future__ import annotations

import json
import platform as python_platform
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import lambdalite
from lambdalite.api.http import JSON, Headers, Request
from lambdalite.observe.metrics import metric_data, prometheus
from lambdalite.observe.metrics.errors import InvalidParameterValue
from lambdalite.platform import Platform

DEFAULT_WINDOW_S = 3 * 3_600
STORE_BACKEND = "sqlite"  # the one backend today (build_info's store label)


async def scrape(p: Platform) -> tuple[int, Headers, bytes]:
    """The queue gauges are two small reads: undone async events (through their partial
    indexes) and each SQS queue's counts; everything else is in memory."""
    p.metrics.fresh()
    busy: dict[tuple[str, ...], float] = {(n,): float(b) for n, b in p.ledger.busy().items()}
    now = p.clock.now()
    gauges: dict[str, dict[tuple[str, ...], float]] = {
        "lambdalite_concurrent_executions": busy,
        "lambdalite_execution_environments": _floats(p.pool.environments()),
        "lambdalite_async_queue_events": _floats(await p.async_queue.async_store.depths(now)),
        "lambdalite_sqs_messages": _floats(await p.sqs.depths()),
        "lambdalite_api_requests_total": _floats(p.api_requests.counts),
    }
    build = (lambdalite.__version__, python_platform.python_version(), STORE_BACKEND)
    body = prometheus.render(p.metrics.recorder.prom, gauges, build)
    return 200, [(b"content-type", prometheus.CONTENT_TYPE)], body


def _floats(values: Mapping[Any, int]) -> dict[tuple[str, ...], float]:
    return {k: float(v) for k, v in values.items()}


def _number(request: Request, name: str, default: float) -> float:
    raw = request.query_value(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidParameterValue(f"The value {raw} for parameter {name} is invalid.") from None


def chart(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    metric = request.query_value("metric")
    if not metric:
        raise InvalidParameterValue("Give ?metric=NAME (and namespace, stat, period, dim.X=Y).")
    now = p.clock.now()
    end = _number(request, "end", now + 60)
    start = _number(request, "start", end - DEFAULT_WINDOW_S)
    dims = [
        {"Name": key.removeprefix("dim."), "Value": values[0]}
        for key, values in request.query.items()
        if key.startswith("dim.")
    ]
    stat: dict[str, Any] = {
        "Metric": {
            "Namespace": request.query_value("namespace") or "AWS/Lambda",
            "MetricName": metric,
            "Dimensions": dims,
        },
        "Period": int(_number(request, "period", 60)),
        "Stat": request.query_value("stat") or "Sum",
    }
    params = {
        "MetricDataQueries": [{"Id": "m", "MetricStat": stat}],
        "StartTime": datetime.fromtimestamp(start, tz=UTC),
        "EndTime": datetime.fromtimestamp(end, tz=UTC),
        "ScanBy": "TimestampAscending",
    }
    (result,) = metric_data.metric_data(p.metrics.fresh(), params)["MetricDataResults"]
    body = {
        "start": start,
        "end": end,
        "period": stat["Period"],
        "stat": stat["Stat"],
        "label": result["Label"],
        "timestamps": [t.timestamp() for t in result["Timestamps"]],
        "values": result["Values"],
    }
    return 200, [(b"content-type", JSON)], json.dumps(body).encode()

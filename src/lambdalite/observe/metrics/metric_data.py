"""GetMetricData: MetricStat queries, then Expressions over their results, paginated by
MaxDatapoints across every returned result (the NextToken is an offset into them)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.observe.metrics import expressions
from lambdalite.observe.metrics.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
)
from lambdalite.observe.metrics.query import (
    check_period,
    check_stat,
    stat_points,
    timestamp,
    window,
)
from lambdalite.observe.metrics.registry import MetricRegistry

MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


def _check_queries(queries: Sequence[Mapping[str, Any]]) -> None:
    if len(queries) > MAX_QUERIES:
        raise InvalidParameterValue(
            f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )
    seen: set[str] = set()
    for q in queries:
        qid = q["Id"]
        if not _ID.match(qid):
            raise InvalidParameterValue(
                f"The value {qid} for parameter MetricDataQueries.member.Id is invalid: it must "
                "start with a lowercase letter and hold only letters, numbers and underscores."
            )
        if qid in seen:
            raise InvalidParameterValue(f"The value {qid} for parameter Id is not unique.")
        seen.add(qid)
        if ("MetricStat" in q) == ("Expression" in q):
            raise InvalidParameterCombination(
                "Exactly one element of the MetricStat and Expression parameters must be set "
                f"in MetricDataQuery {qid}."
            )
        if "MetricStat" in q:
            check_period(int(q["MetricStat"]["Period"]), "MetricStat.Period")
            check_stat(q["MetricStat"]["Stat"])
        elif "Period" in q:
            check_period(int(q["Period"]))
    if not any(q.get("ReturnData", True) for q in queries):
        raise InvalidParameterValue("At least one MetricDataQuery must have ReturnData set.")


def compute(
    registry: MetricRegistry, p: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], expressions.Series]]:
    """Every query's series, in request order, computed (expressions after what they use)."""
    queries: Sequence[Mapping[str, Any]] = p["MetricDataQueries"]
    _check_queries(queries)
    stats = [q for q in queries if "MetricStat" in q]
    default_period = int(stats[0]["MetricStat"]["Period"]) if stats else 60
    start, end = window(p["StartTime"], p["EndTime"], default_period)
    done: dict[str, expressions.Series] = {}
    for q in stats:
        stat = q["MetricStat"]
        lo, hi = window(p["StartTime"], p["EndTime"], int(stat["Period"]))
        label = q.get("Label") or stat["Metric"]["MetricName"]
        done[q["Id"]] = expressions.Series(
            stat_points(registry, stat, lo, hi), int(stat["Period"]), label
        )
    pending = [q for q in queries if "Expression" in q]
    while pending:
        ready = [q for q in pending if not _unresolved(q["Expression"], pending, done)]
        if not ready:
            raise InvalidParameterValue("The expressions refer to each other in a cycle.")
        for q in ready:
            period = int(q.get("Period") or default_period)
            grid = [start + i * period for i in range(int((end - start) // period) + 1)]
            ctx = expressions.Context(done, [t for t in grid if t < end], period)
            series = expressions.evaluate(q["Expression"], ctx)
            series.label = q.get("Label") or q["Id"]
            done[q["Id"]] = series
            pending.remove(q)
    return [(q, done[q["Id"]]) for q in queries]


def _unresolved(
    expression: str, pending: Sequence[Mapping[str, Any]], done: Mapping[str, Any]
) -> bool:
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression))
    return any(
        q["Id"] in names and q["Id"] not in done for q in pending if q["Expression"] != expression
    )


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.b64decode(token, validate=True).decode().partition(":")
        if kind == "gmd" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidNextToken("The service cannot return the next page: the NextToken is invalid.")


def metric_data(registry: MetricRegistry, p: Mapping[str, Any]) -> dict[str, Any]:
    offset = _decode_token(p.get("NextToken"))
    limit = int(p.get("MaxDatapoints") or MAX_DATAPOINTS)
    descending = p.get("ScanBy", "TimestampDescending") == "TimestampDescending"
    results: list[dict[str, Any]] = []
    position = 0
    for q, series in compute(registry, p):
        if not q.get("ReturnData", True):
            continue
        stamps = sorted(series.points, reverse=descending)
        page = stamps[max(0, offset - position) : max(0, offset + limit - position)]
        position += len(stamps)
        results.append(
            {
                "Id": q["Id"],
                "Label": series.label,
                "Timestamps": [timestamp(t) for t in page],
                "Values": [series.points[t] for t in page],
                "StatusCode": "Complete" if position <= offset + limit else "PartialData",
                "Messages": [],
            }
        )
    out: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
    if position > offset + limit:
        out["NextToken"] = base64.b64encode(f"gmd:{offset + limit}".encode()).decode()
    return out

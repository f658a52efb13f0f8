"""Embedded Metric Format: a function log line that is a JSON object with
`_aws.CloudWatchMetrics` becomes metrics, as CloudWatch Logs makes them (brief 1.5).

Each directive names a Namespace, dimension sets (lists of keys whose values are top-level
members of the object) and Metrics (Name, Unit, StorageResolution); the metric's value is
the top-level member of its name, a number or an array of numbers (several samples). The
timestamp is `_aws.Timestamp` (epoch ms), else the platform clock's when the line was read.

`EmfTap` sits in front of the log writer: it only looks for the `"_aws"` marker in each
line (cheap) and hands matching lines to the recorder, which parses them when it folds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

from lambdalite.logs.store import LogRow
from lambdalite.observe.metrics.registry import SeriesKey

DEFAULT_NAMESPACE = "aws-embedded-metrics"
_MARKER = '"_aws"'


class Sample(NamedTuple):
    key: SeriesKey
    at: float
    value: float
    unit: str
    high_resolution: bool


def samples(message: str, default_at: float) -> Iterator[Sample]:
    try:
        doc = json.loads(message)
    except ValueError:
        return
    aws = doc.get("_aws") if isinstance(doc, dict) else None
    if not isinstance(aws, dict) or not isinstance(aws.get("CloudWatchMetrics"), list):
        return
    stamp = aws.get("Timestamp")
    at = stamp / 1000.0 if isinstance(stamp, (int, float)) else default_at
    for directive in aws["CloudWatchMetrics"]:
        if isinstance(directive, dict):
            yield from _directive(doc, directive, at)


def _directive(doc: dict[str, Any], directive: dict[str, Any], at: float) -> Iterator[Sample]:
    namespace = directive.get("Namespace") or DEFAULT_NAMESPACE
    sets = [s for s in directive.get("Dimensions") or [[]] if isinstance(s, list)]
    for metric in directive.get("Metrics") or ():
        if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str):
            continue
        name = metric["Name"]
        raw = doc.get(name)
        values: list[Any] = raw if isinstance(raw, list) else [raw]
        numbers = [float(v) for v in values if _is_number(v)]
        unit = str(metric.get("Unit") or "None")
        high = metric.get("StorageResolution") == 1
        for keys in sets:
            if not all(isinstance(doc.get(k), (str, int, float)) for k in keys):
                continue
            key = SeriesKey.of(str(namespace), name, [(k, str(doc[k])) for k in keys])
            for number in numbers:
                yield Sample(key, at, number, unit, high)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class LogSink(Protocol):
    def emit(self, rows: list[LogRow]) -> None: ...


class EmfLines(Protocol):
    def emf_line(self, message: str) -> None: ...


class EmfTap:
    """A LogSink (sandbox/types.py) that passes every row on and EMF lines to `lines`."""

    __slots__ = ("_lines", "_sink")

    def __init__(self, sink: LogSink, lines: EmfLines) -> None:
        self._sink = sink
        self._lines = lines

    def emit(self, rows: list[LogRow]) -> None:
        for row in rows:
            message = row[3]
            if _MARKER in message and message.lstrip().startswith("{"):
                self._lines.emf_line(message)
        self._sink.emit(rows)

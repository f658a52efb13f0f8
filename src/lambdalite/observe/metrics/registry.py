"""Every metric series and its aggregates, in memory within a fixed retention.

A series is (namespace, metric name, dimensions), the dimensions a sorted tuple of
(name, value) pairs kept byte-exact. Its aggregates are `Bucket`s keyed by (period start,
unit): one per minute, and one per second for high-resolution data (which also lands in
the minute). Reads merge buckets into the query's periods; only periods that saw a value
produce a datapoint (no zero is made up for an empty minute).

Retention (constants, documented in the README): minute buckets for RETENTION_S (1 day),
second buckets for HIGH_RES_RETENTION_S (3 hours); older buckets are pruned here and in
the store by the flusher. At most MAX_SERIES series: values for new series beyond it are
refused (logged), so the store never grows without bound.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from lambdalite.observe.metrics.bucket import Bucket

log = logging.getLogger(__name__)

Dimensions = tuple[tuple[str, str], ...]
RETENTION_S = 86_400
HIGH_RES_RETENTION_S = 3 * 3_600
MAX_SERIES = 10_000
MINUTE, SECOND = 60, 1


class SeriesKey(NamedTuple):  # a tuple: cheap to build and hash at every fold
    namespace: str
    name: str
    dimensions: Dimensions

    @staticmethod
    def of(namespace: str, name: str, dimensions: Iterable[tuple[str, str]] = ()) -> SeriesKey:
        return SeriesKey(namespace, name, tuple(sorted(dimensions)))


# (series, resolution, period start, unit): one bucket's identity, also in the store.
BucketId = tuple[SeriesKey, int, int, str]


class Series:
    __slots__ = ("key", "last_at", "minute", "second")

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        self.minute: dict[tuple[int, str], Bucket] = {}
        self.second: dict[tuple[int, str], Bucket] = {}
        self.last_at = 0.0  # the latest timestamp a value was recorded for

    def buckets(self, resolution: int) -> dict[tuple[int, str], Bucket]:
        return self.minute if resolution == MINUTE else self.second


class MetricRegistry:
    def __init__(self, max_series: int = MAX_SERIES) -> None:
        self._series: dict[SeriesKey, Series] = {}
        self._max_series = max_series
        self.dirty: set[BucketId] = set()
        self.refused = 0  # values refused for want of room for their series

    def _get(self, key: SeriesKey) -> Series | None:
        series = self._series.get(key)
        if series is None:
            if len(self._series) >= self._max_series:
                self.refused += 1
                if self.refused == 1:
                    log.warning("metric series limit (%d) reached; new series refused", MAX_SERIES)
                return None
            series = self._series[key] = Series(key)
        return series

    def _bucket(self, series: Series, resolution: int, at: float, unit: str) -> Bucket:
        start = int(at // resolution) * resolution
        slot = (start, unit)
        table = series.buckets(resolution)
        bucket = table.get(slot)
        if bucket is None:
            bucket = table[slot] = Bucket()
        self.dirty.add((series.key, resolution, start, unit))
        if at > series.last_at:
            series.last_at = at
        return bucket

    def add(
        self,
        key: SeriesKey,
        at: float,
        value: float,
        unit: str = "None",
        count: float = 1.0,
        high_resolution: bool = False,
    ) -> None:
        series = self._get(key)
        if series is None:
            return
        self._bucket(series, MINUTE, at, unit).add(value, count)
        if high_resolution:
            self._bucket(series, SECOND, at, unit).add(value, count)

    def merge(self, key: SeriesKey, minute: int, bucket: Bucket, unit: str) -> None:
        """A bucket already aggregated for one minute (the recorder's fold groups by minute)."""
        series = self._get(key)
        if series is not None:
            self._bucket(series, MINUTE, float(minute), unit).merge(bucket)

    def add_statistics(
        self,
        key: SeriesKey,
        at: float,
        stats: tuple[float, float, float, float],
        unit: str = "None",
        high_resolution: bool = False,
    ) -> None:
        series = self._get(key)
        if series is None:
            return
        resolutions = (MINUTE, SECOND) if high_resolution else (MINUTE,)
        for resolution in resolutions:
            self._bucket(series, resolution, at, unit).add_statistics(*stats)

    def restore(self, bucket_id: BucketId, bucket: Bucket) -> None:
        """A bucket read back from the store at start-up (not dirty)."""
        key, resolution, start, unit = bucket_id
        series = self._get(key)
        if series is not None:
            series.buckets(resolution)[(start, unit)] = bucket
            series.last_at = max(series.last_at, float(start))

    def bucket(self, bucket_id: BucketId) -> Bucket | None:
        key, resolution, start, unit = bucket_id
        series = self._series.get(key)
        return None if series is None else series.buckets(resolution).get((start, unit))

    def series(self) -> Iterator[Series]:
        return iter(self._series.values())

    def get(self, key: SeriesKey) -> Series | None:
        return self._series.get(key)

    def prune(self, now: float) -> tuple[int, int]:
        """Drop buckets past retention; returns the cut-offs (minute, second) used."""
        minute_cut = int(now - RETENTION_S)
        second_cut = int(now - HIGH_RES_RETENTION_S)
        for key in list(self._series):
            series = self._series[key]
            for table, cut in ((series.minute, minute_cut), (series.second, second_cut)):
                for slot in [s for s in table if s[0] < cut]:
                    del table[slot]
            if not series.minute and not series.second:
                del self._series[key]
        return minute_cut, second_cut

    def points(
        self, key: SeriesKey, start: float, end: float, period: int, unit: str | None
    ) -> list[tuple[float, Bucket]]:
        """Buckets of [start, end) merged into `period`-second windows from `start`,
        ascending; windows without a value are absent."""
        series = self._series.get(key)
        if series is None:
            return []
        resolution = MINUTE if period % MINUTE == 0 else SECOND
        windows: dict[int, Bucket] = {}
        for (at, bucket_unit), bucket in series.buckets(resolution).items():
            if not start <= at < end or (unit is not None and bucket_unit != unit):
                continue
            index = int((at - start) // period)
            merged = windows.get(index)
            if merged is None:
                merged = windows[index] = Bucket()
            merged.merge(bucket)
        return [(start + i * period, windows[i]) for i in sorted(windows)]

    def unit_of(self, key: SeriesKey) -> str | None:
        series = self._series.get(key)
        if series is None:
            return None
        for _, unit in series.minute:
            return unit
        return None

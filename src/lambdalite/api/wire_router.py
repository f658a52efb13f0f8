"""Request routing for rest-json services: (method, raw path, query) -> operation.

Every ``requestUri`` of the model is precompiled to a regex; routes are bucketed by method
and segment count so a request tries only a handful of candidates (about 1-2 us).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, cast
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel

__all__ = ["RestJsonRouter", "RouteMatch"]

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


class RouteMatch(NamedTuple):
    # A NamedTuple: built per request, and cheaper to create than a frozen dataclass.
    operation: OperationModel
    uri_params: dict[str, str]  # label name -> percent-decoded value


@lru_cache(maxsize=4096)
def _decode(value: str) -> str:
    # Function names and ARNs repeat across requests; unquote itself costs microseconds.
    return unquote(value)


@dataclass(frozen=True, slots=True)
class _Route:
    operation: OperationModel
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    query: tuple[tuple[str, str], ...]  # literal "?k=v" parts of the requestUri
    literal_chars: int  # specificity: more literal text wins among equal candidates


def _first_segment(path: str) -> str:
    end = path.find("/", 1)
    return path[1:] if end < 0 else path[1:end]


def _compile(op: OperationModel) -> tuple[_Route, int | None, str]:
    """Route for ``op``, its segment count (``None`` when a greedy label makes it vary) and
    its first path segment (``""`` when that segment holds a label)."""
    uri: str = op.http["requestUri"]
    path, _, qs = uri.partition("?")
    labels: list[str] = []
    parts: list[str] = []
    pos = 0
    greedy = False
    for m in _LABEL.finditer(path):
        parts.append(re.escape(path[pos : m.start()]))
        labels.append(m.group(1))
        greedy = greedy or bool(m.group(2))
        parts.append("(.+)" if m.group(2) else "([^/]+)")
        pos = m.end()
    parts.append(re.escape(path[pos:]))
    query = tuple((k, v[0]) for k, v in parse_qs(qs, keep_blank_values=True).items())
    literal = len(_LABEL.sub("", path)) + len(qs)
    route = _Route(op, re.compile("".join(parts)), tuple(labels), query, literal)
    first = _first_segment(path)
    return route, None if greedy else path.count("/"), "" if "{" in first else first


class RestJsonRouter:
    """Finds the operation for a request. Build once; ``match`` is the per-request hot path.

    Routes are bucketed by (method, number of path segments, first segment) -- the first
    segment is the API-version date in AWS models; greedy routes go in a per-method fallback
    list. Within a bucket, routes with literal query parts (``?List=ALL``) come first, then
    the most literal text.
    """

    def __init__(self, service: ServiceModel, operations: Iterable[str] | None = None) -> None:
        names = service.operation_names if operations is None else list(operations)
        buckets: dict[tuple[str, int, str], list[_Route]] = {}
        greedy: dict[str, list[_Route]] = {}
        for name in names:
            op = service.operation_model(name)
            route, segments, first = _compile(op)
            method = cast(str, op.http["method"]).upper()
            if segments is None:
                greedy.setdefault(method, []).append(route)
            else:
                buckets.setdefault((method, segments, first), []).append(route)
        # Routes whose first segment is a label also belong to every literal bucket.
        for (method, segments, first), routes in buckets.items():
            if first:
                routes.extend(buckets.get((method, segments, ""), ()))

        def order(r: _Route) -> tuple[int, int]:
            return (-len(r.query), -r.literal_chars)

        self._buckets = {k: tuple(sorted(v, key=order)) for k, v in buckets.items()}
        self._greedy = {k: tuple(sorted(v, key=order)) for k, v in greedy.items()}

    def match(self, method: str, path: str, query: Mapping[str, list[str]]) -> RouteMatch | None:
        """Match a request. ``path`` is the raw (still percent-encoded) path, e.g. ASGI's
        ``raw_path`` without the query; labels are split first and decoded after, so an
        encoded ``/`` stays inside its label."""
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        method = method.upper()
        segments = path.count("/")
        bucket = self._buckets.get((method, segments, _first_segment(path)))
        if bucket is None:
            bucket = self._buckets.get((method, segments, ""), ())
        for routes in (bucket, self._greedy.get(method, ())):
            for route in routes:
                m = route.regex.fullmatch(path)
                if m is None or (route.query and not _query_matches(route.query, query)):
                    continue
                values = m.groups()
                params = {
                    label: _decode(v) if "%" in v else v
                    for label, v in zip(route.labels, values, strict=True)
                }
                return RouteMatch(route.operation, params)
        return None


def _query_matches(required: tuple[tuple[str, str], ...], query: Mapping[str, list[str]]) -> bool:
    return all(value in query.get(key, ()) for key, value in required)

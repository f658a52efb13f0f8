"""AWS API requests served, by service, operation and status class, for Prometheus'
lambdalite_api_requests_total. The labels are bounded: the service is botocore's name and
the operation one of its model's (anything else counts as "unknown"), the status a class.
Counted in memory on the request path: one dictionary update per request."""

from __future__ import annotations

UNKNOWN = "unknown"


class ApiRequests:
    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}

    def count(self, service: str, operation: str | None, status: int) -> None:
        key = (service, operation or UNKNOWN, _CLASSES.get(status // 100, "5xx"))
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1


_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

"""One HTTP request as the gateway received it, before any API's view of it."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

# HTTP APIs and function URLs send a body as text when its type says so (else base64).
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
)
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(slots=True)
class GatewayRequest:
    method: str
    raw_path: str  # as sent, percent-encoded, without the query
    query_string: str  # as sent, without the "?"
    headers: list[tuple[str, str]]  # in order, names as the client cased them
    body: bytes
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    time_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)
    # Lowercased name -> last value, built on the first header() (a request asks several).
    _last: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    def header(self, name: str) -> str | None:
        """The last value of a header, by case-insensitive name."""
        last = self._last
        if last is None:
            last = self._last = {key.lower(): value for key, value in self.headers}
        return last.get(name.lower())

    def query(self) -> list[tuple[str, str]]:
        if not self.query_string:
            return []
        return parse_qsl(self.query_string, keep_blank_values=True)


def is_text(content_type: str | None) -> bool:
    """Whether HTTP APIs and function URLs pass a body of this type as text."""
    if not content_type:
        return True  # no type: API Gateway passes the body through as text
    kind = content_type.split(";")[0].strip().lower()
    return kind.startswith(_TEXT_TYPES) or kind.endswith(_TEXT_SUFFIXES)


def media_type_matches(content_type: str | None, patterns: list[str] | tuple[str, ...]) -> bool:
    """REST APIs: whether a content type is one of the API's binary media types."""
    kind = (content_type or "").split(";")[0].strip().lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*/*" or pattern == kind:
            return True
        if pattern.endswith("/*") and kind.startswith(pattern[:-1]):
            return True
    return False


def body_field(body: bytes, binary: bool) -> tuple[str, bool]:
    """The event's body and isBase64Encoded: base64 when binary or not valid UTF-8."""
    if not binary:
        try:
            return body.decode(), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


_last_time: tuple[int, str] = (-1, "")


def request_time(ms: int) -> str:
    """API Gateway's CLF-like time: 15/May/2020:06:01:09 +0000 (formatted once a second)."""
    global _last_time
    second = ms // 1000
    if _last_time[0] != second:
        _last_time = (second, time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second)))
    return _last_time[1]

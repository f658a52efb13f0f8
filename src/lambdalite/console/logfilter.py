"""The live log tail's filter, applied on the server: CloudWatch Logs' own filter patterns
(logs/patterns/: terms, `?any ?of`, `-not`, JSON `{ $.level = "ERROR" }` and
space-delimited `[ip, user, ...]`), so the tail matches what `aws logs filter-log-events`
would. A pattern CloudWatch refuses gets CloudWatch's error (InvalidParameterException)."""

from __future__ import annotations

from lambdalite.logs.events import matcher
from lambdalite.logs.patterns import Matcher


def compile_filter(text: str) -> Matcher:
    """The pattern's predicate; raises logs' InvalidParameterException when it is invalid."""
    return matcher(text)


def _nothing(message: str) -> bool:
    return False


def stream_filter(text: str) -> Matcher:
    """For the live stream, which cannot answer an error: an invalid pattern passes no line
    (the page shows the error from the tail's fetch, which does answer it)."""
    try:
        return matcher(text)
    except Exception:
        return _nothing

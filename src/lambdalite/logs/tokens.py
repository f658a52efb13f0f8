"""Pagination tokens: opaque to clients, strict when read back.

Event tokens hold a position in timestamp order (timestamp, event id): `f/<digits>/s` reads
forward from it, `b/<digits>/s` backward (GetLogEvents); FilterLogEvents uses the forward
form. Listing tokens (groups, streams, filters) hold the sort key of the last item shown.
A token we did not make is InvalidParameterException, never "start again at page 1".
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from lambdalite.logs.errors import InvalidParameterException
from lambdalite.logs.store import Position

_EVENT_TOKEN = re.compile(r"([fb])/(\d{20})(\d{20})/s")
_TS_OFFSET = 10**15  # timestamps may be negative (before 1970); digits may not


def event_token(direction: str, position: Position) -> str:
    ts, event_id = position
    return f"{direction}/{ts + _TS_OFFSET:020d}{max(event_id, 0):020d}/s"


def parse_event_token(token: str, field: str = "nextToken") -> tuple[str, Position]:
    m = _EVENT_TOKEN.fullmatch(token)
    if m is None:
        raise InvalidParameterException(f"The specified {field} is invalid.")
    return m.group(1), (int(m.group(2)) - _TS_OFFSET, int(m.group(3)))


def key_token(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def parse_key_token(token: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        key = None
    if not isinstance(key, list):
        raise InvalidParameterException("The specified nextToken is invalid.")
    return key


def event_id(value: int) -> str:
    """AWS's event ids are 56 decimal digits; ours are the row id, padded alike (stable)."""
    return f"{value:056d}"

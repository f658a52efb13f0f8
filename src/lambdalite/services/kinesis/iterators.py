"""Shard iterators and list tokens: opaque to clients, self-contained for us.

A shard iterator names a stream (by id, so a recreated stream does not inherit old
iterators), a shard, a position (records after ``after``, a record counter) and the clock
time it was issued. Kinesis honours an iterator for five minutes; the token is urlsafe
base64 of a small JSON array, so any server process can read it (no server-side state).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from lambdalite.services.kinesis.errors import (
    ExpiredIteratorException,
    ExpiredNextTokenException,
    InvalidArgumentException,
)

ITERATOR_TTL_S = 300.0
TOKEN_TTL_S = 300.0
_ITERATOR_TAG = "ki1"
_TOKEN_TAG = "kt1"


@dataclass(frozen=True, slots=True)
class Position:
    stream_id: int
    shard_index: int
    after: int  # records with a counter above this one
    issued_at: float


def _encode(doc: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def _decode(token: str, tag: str) -> list[object] | None:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, list) or not doc or doc[0] != tag:
        return None
    return doc


def encode_iterator(position: Position) -> str:
    p = position
    return _encode([_ITERATOR_TAG, p.stream_id, p.shard_index, p.after, p.issued_at])


def decode_iterator(token: str, now: float) -> Position:
    doc = _decode(token, _ITERATOR_TAG)
    if doc is None or len(doc) != 5:
        raise InvalidArgumentException("Invalid ShardIterator.")
    stream_id, shard_index, after, issued_at = doc[1:]
    if not (
        isinstance(stream_id, int)
        and isinstance(shard_index, int)
        and isinstance(after, int)
        and isinstance(issued_at, int | float)
    ):
        raise InvalidArgumentException("Invalid ShardIterator.")
    position = Position(stream_id, shard_index, after, float(issued_at))
    if now - position.issued_at > ITERATOR_TTL_S:
        raise ExpiredIteratorException(
            f"Iterator expired. The iterator was created at time "
            f"{_when(position.issued_at)} while right now it is {_when(now)} which is further in "
            f"the future than the tolerated delay of {int(ITERATOR_TTL_S * 1000)} milliseconds."
        )
    return position


def encode_list_token(stream_name: str, after_index: int, issued_at: float) -> str:
    return _encode([_TOKEN_TAG, stream_name, after_index, issued_at])


def decode_list_token(token: str, now: float) -> tuple[str, int]:
    """(stream name, index of the last shard listed) from a ListShards NextToken."""
    doc = _decode(token, _TOKEN_TAG)
    if doc is None or len(doc) != 4 or not isinstance(doc[1], str):
        raise InvalidArgumentException("Invalid NextToken.")
    after, issued = doc[2], doc[3]
    if not isinstance(after, int) or not isinstance(issued, int | float):
        raise InvalidArgumentException("Invalid NextToken.")
    if now - issued > TOKEN_TTL_S:
        raise ExpiredNextTokenException("The timestamp of the NextToken has expired.")
    return doc[1], after


def _when(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")

"""AWS's event stream framing (application/vnd.amazon.eventstream), as SDKs read it.

A message: a prelude (total length, headers length, both big-endian uint32, then the
prelude's CRC32), the headers, the payload, and the CRC32 of everything before it. A header
is its name's length (uint8), the name, a value type (7: string), the value's length
(uint16) and the value. botocore's `botocore.eventstream` parses what this writes.
"""

from __future__ import annotations

import struct
from zlib import crc32

CONTENT_TYPE = b"application/vnd.amazon.eventstream"
_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _headers(headers: tuple[tuple[bytes, bytes], ...]) -> bytes:
    parts = []
    for name, value in headers:
        parts.append(bytes((len(name),)) + name + bytes((_STRING,)))
        parts.append(len(value).to_bytes(2, "big") + value)
    return b"".join(parts)


def message(headers: tuple[tuple[bytes, bytes], ...], payload: bytes) -> bytes:
    encoded = _headers(headers)
    total = _PRELUDE.size + _CRC.size + len(encoded) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(encoded))
    head = prelude + _CRC.pack(crc32(prelude))
    body = head + encoded + payload
    return body + _CRC.pack(crc32(body))


def event(event_type: bytes, payload: bytes, content_type: bytes) -> bytes:
    """One `:message-type event` message of the given `:event-type`."""
    return message(
        (
            (b":event-type", event_type),
            (b":content-type", content_type),
            (b":message-type", b"event"),
        ),
        payload,
    )

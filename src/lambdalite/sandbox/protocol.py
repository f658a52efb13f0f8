"""Server side of the frame protocol (format defined in lambdalite.runtime.framing)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambdalite.runtime import framing
from lambdalite.runtime.framing import (
    ERROR,
    HEADER,
    INIT_ERROR,
    INVOKE,
    READY,
    RESULT,
    encode_meta,
    frame_parts,
)

__all__ = [
    "ERROR",
    "INIT_ERROR",
    "INVOKE",
    "READY",
    "RESULT",
    "Frame",
    "FrameReader",
    "ProtocolError",
    "encode_meta",
    "frame_parts",
    "framing",
]

# Meta is a few hundred bytes; anything bigger means a garbled channel.
MAX_META = 1 << 16
_RSS_PREFIX = b'{"rss_kb":'
_CLOSE = ord("}")


class ProtocolError(Exception):
    """The environment sent bytes that are not a valid frame."""


@dataclass(slots=True)  # not frozen: built per invocation (see sandbox/types.py)
class Frame:
    kind: int
    meta: dict[str, Any]
    payload: bytes
    payload_size: int  # the announced size; payload is b"" when it exceeded the limit


class FrameReader:
    """Incremental parser. Payloads larger than ``max_payload`` are skipped as they stream
    in (never buffered) and delivered as a frame with an empty payload and their size."""

    def __init__(self, max_payload: int) -> None:
        self._buf = bytearray()
        self._max = max_payload
        self._skip = 0  # bytes of an oversized payload still to discard
        self._pending: tuple[int, dict[str, Any], int] | None = None

    def feed(self, data: bytes) -> list[Frame]:
        if self._skip:
            n = min(self._skip, len(data))
            self._skip -= n
            data = data[n:]
            if self._skip == 0 and self._pending is not None:
                kind, meta, size = self._pending
                self._pending = None
                done = [Frame(kind, meta, b"", size)]
                return done + (self.feed(data) if data else [])
            if not data:
                return []
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        while len(buf) >= HEADER.size:
            kind, meta_len, payload_len = HEADER.unpack_from(buf)
            if meta_len > MAX_META:
                raise ProtocolError(f"frame meta of {meta_len} bytes")
            meta_end = HEADER.size + meta_len
            if payload_len > self._max:
                if len(buf) < meta_end:
                    break
                meta = self._meta(buf, meta_end)
                have = len(buf) - meta_end
                if have >= payload_len:
                    del buf[: meta_end + payload_len]
                    frames.append(Frame(kind, meta, b"", payload_len))
                    continue
                del buf[:]
                self._skip = payload_len - have
                self._pending = (kind, meta, payload_len)
                break
            end = meta_end + payload_len
            if len(buf) < end:
                break
            meta = self._meta(buf, meta_end)
            payload = bytes(buf[meta_end:end])
            del buf[:end]
            frames.append(Frame(kind, meta, payload, payload_len))
        return frames

    @staticmethod
    def _meta(buf: bytearray, meta_end: int) -> dict[str, Any]:
        if meta_end == HEADER.size:
            return {}
        # Every answer's meta is {"rss_kb":N} as the runtime writes it: read without json.
        if buf.startswith(_RSS_PREFIX, HEADER.size) and buf[meta_end - 1] == _CLOSE:
            digits = buf[HEADER.size + len(_RSS_PREFIX) : meta_end - 1]
            if digits.isdigit():
                return {"rss_kb": int(digits)}
        try:
            # Decoding first spares json.loads its encoding detection (UTF-8 by contract).
            meta = json.loads(buf[HEADER.size : meta_end].decode())
        except ValueError as e:
            raise ProtocolError(f"bad frame meta: {e}") from e
        if not isinstance(meta, dict):
            raise ProtocolError("frame meta is not an object")
        return meta

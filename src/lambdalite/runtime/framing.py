"""Length-prefixed frames shared by the server (sandbox/protocol.py) and the runtime.

A frame is a 9-byte header ``!BII`` (kind, meta length, payload length), then ``meta``
(small JSON object, may be empty) and ``payload`` (opaque bytes: the event or the response,
passed through untouched so JSON is decoded only once, inside the environment).
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, Callable, Optional, Protocol, Tuple

Frame = Tuple[int, "dict[str, Any]", bytes]

HEADER = struct.Struct("!BII")

# server -> environment
INVOKE = 1
# environment -> server
READY = 2
INIT_ERROR = 3
RESULT = 4
ERROR = 5

# Meta objects come from the server, one per frame: scanned with the C scanner directly, not
# through json.loads' wrappers (type checks, whitespace regexes), which cost twice the scan.
_Scan = Callable[[str, int], Tuple[Any, int]]
_scan_json: _Scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # not in typeshed

# Above this a frame is sent in two writes instead of being concatenated (saves a copy).
_CONCAT_LIMIT = 65536


def encode_meta(meta: dict[str, Any] | None) -> bytes:
    return json.dumps(meta, separators=(",", ":")).encode() if meta else b""


def frame_parts(kind: int, meta: bytes, payload: bytes) -> list[bytes]:
    """Byte chunks making up one frame (one chunk unless the payload is large)."""
    head = HEADER.pack(kind, len(meta), len(payload))
    if len(payload) < _CONCAT_LIMIT:
        return [head + meta + payload]
    return [head + meta, payload]


class Channel:
    """The environment's end of its frame channel: two pipes, one each way.

    Pipes rather than a socket pair: reading from a unix socket wakes whoever sleeps on
    the peer socket, which is the environment itself, blocked for its next frame. That
    spurious wake-up (an inter-processor interrupt on a VM) came with every answer the
    server read; a pipe wakes its writer only when it was full."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd

    def fileno(self) -> int:
        """The readable end, for poll()."""
        return self.read_fd

    def recv(self, size: int) -> bytes:
        return os.read(self.read_fd, size)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.write_fd, view) :]

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


class ByteChannel(Protocol):
    """What frames travel over: a Channel, or a socket (benchmarks, tests)."""

    def fileno(self) -> int: ...

    def recv(self, size: int, /) -> bytes: ...

    def sendall(self, data: bytes, /) -> None: ...


class FrameReader:
    """Reads frames with as few system calls as possible: one read for a typical invocation
    (header, meta and a small payload arrive together), more only for large payloads."""

    CHUNK = 65536

    def __init__(self, channel: ByteChannel) -> None:
        self._channel = channel
        self._buf = bytearray()

    def _fill(self, need: int) -> bool:
        while len(self._buf) < need:
            try:
                data = self._channel.recv(max(self.CHUNK, need - len(self._buf)))
            except (ConnectionResetError, BrokenPipeError):
                data = b""  # the server went away: same as EOF
            if not data:
                if not self._buf:
                    return False
                raise EOFError("channel closed mid-frame")
            self._buf += data
        return True

    def read(self) -> Optional[Frame]:
        if not self._fill(HEADER.size):
            return None
        kind, meta_len, payload_len = HEADER.unpack_from(self._buf)
        end = HEADER.size + meta_len + payload_len
        self._fill(end)
        buf = self._buf
        meta_raw = bytes(buf[HEADER.size : HEADER.size + meta_len])
        payload = bytes(buf[HEADER.size + meta_len : end])
        del buf[:end]
        return kind, (_scan_json(meta_raw.decode("utf-8"), 0)[0] if meta_raw else {}), payload


def write_frame(
    channel: ByteChannel, kind: int, meta: dict[str, Any] | None, payload: bytes
) -> None:
    write_frame_raw(channel, kind, encode_meta(meta), payload)


def write_frame_raw(channel: ByteChannel, kind: int, meta: bytes, payload: bytes) -> None:
    """A frame whose meta is already encoded JSON."""
    for part in frame_parts(kind, meta, payload):
        channel.sendall(part)

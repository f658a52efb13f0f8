"""Length-prefixed frames shared by the server (sandbox/protocol.py) and the runtime.

A frame is a 9-byte header ``!BII`` (kind, meta length, payload length), then ``meta``
(small JSON object, may be empty) and ``payload`` (opaque bytes: the event or the response,
passed through untouched so JSON is decoded only once, inside the environment).
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any, Optional, Tuple

Frame = Tuple[int, "dict[str, Any]", bytes]

HEADER = struct.Struct("!BII")

# server -> environment
INVOKE = 1
# environment -> server
READY = 2
INIT_ERROR = 3
RESULT = 4
ERROR = 5

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


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Blocking read of exactly n bytes from a socket; b"" on a clean EOF at a frame start."""
    if n == 0:
        return b""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        try:
            k = sock.recv_into(view[got:])
        except ConnectionResetError:
            k = 0  # the server went away: same as EOF
        if k == 0:
            if got == 0:
                return b""
            raise EOFError("channel closed mid-frame")
        got += k
    return bytes(buf)


def read_frame(sock: socket.socket) -> Optional[Frame]:
    """Blocking read of one frame: (kind, meta dict, payload) or None at EOF."""
    head = recv_exact(sock, HEADER.size)
    if not head:
        return None
    kind, meta_len, payload_len = HEADER.unpack(head)
    meta_raw = recv_exact(sock, meta_len)
    meta = json.loads(meta_raw) if meta_raw else {}
    return kind, meta, recv_exact(sock, payload_len)


def write_frame(
    sock: socket.socket, kind: int, meta: dict[str, Any] | None, payload: bytes
) -> None:
    for part in frame_parts(kind, encode_meta(meta), payload):
        sock.sendall(part)

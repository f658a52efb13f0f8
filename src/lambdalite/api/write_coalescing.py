"""An asyncio transport wrapper that sends the writes of one event-loop turn as one.

An HTTP server that writes a response's status line and headers as soon as the app starts
its response, then the body when it comes, makes two sends of one response. With
TCP_NODELAY (the norm for servers) that is two segments, so the client wakes up twice.
Wrapping the connection's transport in a CoalescingTransport joins every write made
during one turn of the event loop and sends them together at the end of that turn; the
protocol above needs no change. `send_now` sends at once, after anything pending, for a
caller that knows its response is complete.

Self-contained (asyncio only), so a server can adopt it as is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["CoalescingTransport"]

Buffer = bytes | bytearray | memoryview


class CoalescingTransport(asyncio.Transport):
    """Wraps `transport`: writes within one loop turn leave in one `transport.write`."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: Buffer) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))  # a copy: the caller may reuse its buffer

    def writelines(self, list_of_data: Iterable[Buffer]) -> None:
        for data in list_of_data:
            self.write(data)

    def send_now(self, data: bytes) -> None:
        """Write `data` after anything pending, at once (no flush left for later)."""
        if self._pending:
            self._pending.append(data)
            self.flush()
        elif not self._transport.is_closing():
            self._transport.write(data)

    def flush(self) -> None:
        """Send what is pending now (the end of the turn does so by itself)."""
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()  # abort drops buffered data, pending writes included
        self._transport.abort()

    # Everything else is the wrapped transport's.

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

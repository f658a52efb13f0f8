"""api/write_coalescing.py: the writes of one loop turn leave in one send, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from lambdalite.api.write_coalescing import CoalescingTransport


class Inner(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__(extra={"peername": ("127.0.0.1", 50000)})
        self.writes: list[bytes] = []
        self.calls: list[str] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.calls.append("abort")
        self.closed = True

    def write_eof(self) -> None:
        self.calls.append("write_eof")

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 10

    def pause_reading(self) -> None:
        self.calls.append("pause_reading")


def test_writes_of_one_turn_leave_together_and_in_order() -> None:
    async def scenario() -> None:
        inner = Inner()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        transport.write(b"one ")
        transport.writelines([bytearray(b"two"), memoryview(b" three")])
        assert inner.writes == []  # nothing leaves before the turn ends
        assert transport.get_write_buffer_size() == 10 + 13
        await asyncio.sleep(0)
        assert inner.writes == [b"one two three"]
        transport.write(b"next turn")
        await asyncio.sleep(0)
        assert inner.writes == [b"one two three", b"next turn"]

    asyncio.run(scenario())


def test_a_reused_buffer_does_not_change_what_is_pending() -> None:
    async def scenario() -> None:
        inner = Inner()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        buffer = bytearray(b"abc")
        transport.write(buffer)
        buffer[:] = b"xyz"
        transport.flush()
        assert inner.writes == [b"abc"]

    asyncio.run(scenario())


def test_close_and_write_eof_flush_first_and_abort_drops() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        inner = Inner()
        transport = CoalescingTransport(inner, loop)
        transport.write(b"last")
        transport.write_eof()
        assert inner.writes == [b"last"] and inner.calls == ["write_eof"]
        transport.write(b"bye")
        transport.close()
        assert inner.writes == [b"last", b"bye"] and inner.closed
        await asyncio.sleep(0)
        assert inner.writes == [b"last", b"bye"]  # the scheduled flushes find nothing left
        aborted = Inner()
        transport = CoalescingTransport(aborted, loop)
        transport.write(b"dropped")
        transport.abort()
        await asyncio.sleep(0)
        assert aborted.writes == [] and aborted.calls == ["abort"]

    asyncio.run(scenario())


def test_send_now_writes_after_what_is_pending_and_schedules_nothing() -> None:
    async def scenario() -> None:
        inner = Inner()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        transport.send_now(b"alone")
        assert inner.writes == [b"alone"]  # at once, in one write
        transport.write(b"head ")
        transport.send_now(b"body")
        assert inner.writes == [b"alone", b"head body"]  # order kept, still one write
        await asyncio.sleep(0)
        assert inner.writes == [b"alone", b"head body"]

    asyncio.run(scenario())


def test_nothing_is_written_to_a_closing_transport() -> None:
    async def scenario() -> None:
        inner = Inner()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        transport.write(b"late")
        inner.closed = True
        assert transport.is_closing()
        await asyncio.sleep(0)
        transport.send_now(b"later")
        assert inner.writes == []

    asyncio.run(scenario())


def test_the_rest_is_the_wrapped_transports() -> None:
    async def scenario() -> None:
        inner = Inner()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        assert transport.get_extra_info("peername") == ("127.0.0.1", 50000)
        assert transport.get_extra_info("sockname", "none") == "none"
        transport.pause_reading()
        assert inner.calls == ["pause_reading"]

    asyncio.run(scenario())

"""CLI progress (cli/progress.py): a spinner on a terminal's stderr once a step lasts, wiped
at its end; nothing at all when stderr is not a terminal."""

from __future__ import annotations

import io
import threading

from lambdalite.cli.progress import Progress


class Terminal(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.wrote = threading.Event()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.wrote.set()
        return super().write(text)


def test_a_long_step_shows_a_spinner_on_a_terminal_and_wipes_it() -> None:
    terminal = Terminal()
    with Progress("deploying f (12.0 MB)", terminal, delay=0.0):
        assert terminal.wrote.wait(5)  # no sleeping: it shows as soon as it writes
    out = terminal.getvalue()
    assert "deploying f (12.0 MB)" in out and out.endswith("\r\033[K")


def test_a_quick_step_or_a_pipe_shows_nothing() -> None:
    terminal = Terminal()
    with Progress("quick", terminal, delay=60.0):
        pass
    assert terminal.getvalue() == ""
    pipe = io.StringIO()
    with Progress("piped", pipe, delay=0.0):
        pass
    assert pipe.getvalue() == ""

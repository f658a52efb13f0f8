"""Progress for CLI work that can take a while (zipping and uploading a big function,
waiting for it to become active): a spinner with the elapsed seconds on stderr, shown only
when stderr is a terminal and only once the step has lasted `DELAY_S`, and wiped when it
ends. Pipes and logs (and tests) never see it, and stdout stays the command's answer."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

DELAY_S = 1.0
TICK_S = 0.1
FRAMES = "|/-\\"


class Progress:
    def __init__(self, label: str, stream: TextIO | None = None, delay: float = DELAY_S) -> None:
        self.label = label
        self._stream = stream if stream is not None else sys.stderr
        self._delay = delay
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False

    def __enter__(self) -> Progress:
        if self._stream.isatty():
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self._shown:
            self._stream.write("\r\033[K")  # wipe the line: what follows starts clean
            self._stream.flush()

    def _spin(self) -> None:
        began = time.monotonic()
        if self._done.wait(self._delay):
            return
        frame = 0
        while not self._done.is_set():
            elapsed = time.monotonic() - began
            self._stream.write(f"\r{FRAMES[frame % len(FRAMES)]} {self.label} {elapsed:.1f} s")
            self._stream.flush()
            self._shown = True
            frame += 1
            self._done.wait(TICK_S)

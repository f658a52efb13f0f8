"""Custom resources' responses: the deploy waits on a future per request, which the
server's ResponseURL route (PUT /_lambdalite/cfn-responses/TOKEN) completes."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any


class CustomResponses:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # the deploy thread and the event loop both touch it
        self._waiting: dict[str, Future[dict[str, Any]]] = {}

    def expect(self, token: str) -> Future[dict[str, Any]]:
        with self._lock:
            future: Future[dict[str, Any]] = Future()
            self._waiting[token] = future
            return future

    def forget(self, token: str) -> None:
        with self._lock:
            self._waiting.pop(token, None)

    def answer(self, token: str, response: dict[str, Any]) -> bool:
        """False when nobody waits for `token` (a late or unknown response)."""
        with self._lock:
            future = self._waiting.get(token)
        if future is None or future.done():
            return False
        future.set_result(response)
        return True

"""A response posted in streaming mode (spec 8.3): `Lambda-Runtime-Function-Response-Mode:
streaming` with a chunked body, whose trailers `Lambda-Runtime-Function-Error-Type` and
`Lambda-Runtime-Function-Error-Body` (base64) report an error met mid-stream.

`StreamedBody` forwards the body to the caller's ResponseStream as it arrives; what a
mid-stream error leaves the caller is the document `stream_error` builds from the trailers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable

from lambdalite.sandbox.streaming import ResponseStream

RESPONSE_MODE = b"lambda-runtime-function-response-mode"
STREAMING = b"streaming"
_ERROR_TYPE = b"lambda-runtime-function-error-type"
_ERROR_BODY = b"lambda-runtime-function-error-body"


def is_streaming(headers: dict[bytes, bytes]) -> bool:
    return headers.get(RESPONSE_MODE, b"").strip().lower() == STREAMING


def stream_error(trailers: dict[bytes, bytes] | None) -> bytes | None:
    """The error document a mid-stream failure reports, or None when there was none: the
    decoded Error-Body as posted (Lambda passes it through), else one naming the type."""
    if not trailers:
        return None
    error_type = trailers.get(_ERROR_TYPE)
    body = trailers.get(_ERROR_BODY)
    if not error_type and not body:
        return None
    if body:
        try:
            decoded = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if decoded:
            return decoded
    name = (error_type or b"Unhandled").decode("latin-1")
    return json.dumps({"errorMessage": "", "errorType": name}).encode()


class StreamedBody:
    """The BodySink of one streamed response: chunks go to the caller at once; past the
    stream's limit the rest is dropped and `on_overflow` is told once."""

    def __init__(
        self,
        stream: ResponseStream,
        on_overflow: Callable[[], None],
        on_hang_up: Callable[[], None] = lambda: None,
    ) -> None:
        self.stream = stream
        self.overflowed = False
        self._on_overflow = on_overflow
        self._on_hang_up = on_hang_up

    def feed(self, data: bytes) -> None:
        if self.overflowed:
            return
        if not self.stream.feed(data):
            self.overflowed = True
            self._on_overflow()

    def abort(self) -> None:
        # The runtime hung up mid-body: the response is cut short (or already failed).
        self.stream.end()
        if not self.overflowed:
            self._on_hang_up()

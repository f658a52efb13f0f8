"""The Runtime API of one execution environment (2018-06-01, spec 8.3): paths, headers,
status codes, the runtime's state machine and its error documents.

What the runtime says becomes the frames an environment already understands
(sandbox/protocol.py): READY at the first invocation/next, INIT_ERROR, RESULT and ERROR. So
init, deadlines, memory, logs and outcomes are those of Python environments, whichever way
the answer came.

More APIs on the same host:port (the Extensions and Telemetry APIs) plug in with `mount`.
A response posted with `Lambda-Runtime-Function-Response-Mode: streaming` goes to the
caller chunk by chunk when the caller can take a stream (streamed.py), and is joined into
one body (up to the buffered limit) when it cannot: a plain Invoke of a streaming function.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from enum import Enum

from lambdalite.sandbox import outcomes
from lambdalite.sandbox.outcomes import MAX_RESPONSE
from lambdalite.sandbox.protocol import ERROR, INIT_ERROR, READY, RESULT, Frame
from lambdalite.sandbox.runtime_api.http import Listener, Reply, Request, Routes
from lambdalite.sandbox.runtime_api.streamed import StreamedBody, is_streaming, stream_error
from lambdalite.sandbox.streaming import ResponseStream
from lambdalite.sandbox.types import InvocationRequest

_PREFIX = b"/2018-06-01/runtime/"
_NEXT = _PREFIX + b"invocation/next"
_INIT_ERROR = _PREFIX + b"init/error"
_INVOCATION = _PREFIX + b"invocation/"
_ERROR_CAUSE = b"application/vnd.aws.lambda.error.cause+json"
_ACCEPTED = b'{"status":"OK"}'
_NOT_ALLOWED = "State transition is not allowed"
HANG_UP_GRACE_S = 0.1  # see RuntimeApi._hung_up

Deliver = Callable[[Frame], None]


class State(Enum):
    """The runtime's states, named as AWS names them in InvalidStateTransition messages."""

    STARTED = "Started"
    RUNNING = "Running"  # waiting for an event or handling one
    RESPONSE_SENT = "RuntimeResponseSentState"
    INIT_ERROR = "InitError"


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def _transition(state: State, target: str) -> bytes:
    return _error(
        "InvalidStateTransition",
        f"State transition from {state.value} to {target} failed for runtime. "
        f"Error: {_NOT_ALLOWED}",
    )


INVALID_REQUEST_ID = _error("InvalidRequestID", "Invalid request ID")


def _too_large(limit: int) -> bytes:
    message = f"Exceeded maximum allowed payload size ({limit} bytes)."
    return _error("RequestEntityTooLarge", message)


TOO_LARGE = _too_large(MAX_RESPONSE)


def _header_value(text: str) -> bytes:
    # As Go's server writes header values: a newline cannot end the header early.
    return text.replace("\r", " ").replace("\n", " ").encode()


def event_headers(request: InvocationRequest, deadline_ms: int) -> list[tuple[bytes, bytes]]:
    """The invocation/next response headers (spec 8.3); empty ones are left out."""
    headers = [
        (b"Lambda-Runtime-Aws-Request-Id", request.request_id.encode()),
        (b"Lambda-Runtime-Deadline-Ms", b"%d" % deadline_ms),
        (b"Lambda-Runtime-Invoked-Function-Arn", request.invoked_function_arn.encode()),
    ]
    for name, value in (
        (b"Lambda-Runtime-Trace-Id", request.trace_id),
        (b"Lambda-Runtime-Client-Context", request.client_context),
        (b"Lambda-Runtime-Cognito-Identity", request.cognito_identity),
        (b"Lambda-Runtime-Aws-Tenant-Id", request.tenant_id),
    ):
        if value:
            headers.append((name, _header_value(value)))
    return headers


class RuntimeApi:
    """Serves one environment's runtime on a loopback port of its own (AWS_LAMBDA_RUNTIME_API
    is host:port, so a port per environment is what lets every runtime find its own)."""

    def __init__(self, deliver: Deliver, peak_rss_kb: Callable[[], int] = lambda: 0) -> None:
        self._deliver = deliver  # to the environment's process handle (EnvProcess.deliver)
        self._peak_rss_kb = peak_rss_kb
        self._listener = Listener(self)
        self._mounts: list[tuple[bytes, Routes]] = []
        self.state = State.STARTED
        self._waiting: Reply | None = None  # a parked invocation/next
        self._event: tuple[InvocationRequest, int] | None = None  # not yet handed out
        self._current: str | None = None  # request id handed out and not yet answered
        self._stream: ResponseStream | None = None  # the current caller's, if it streams
        self._truncation: object | None = None  # a hang-up mid-stream not yet failed on

    async def start(self, host: str = "127.0.0.1") -> str:
        """Listen; returns the AWS_LAMBDA_RUNTIME_API value."""
        port = await self._listener.start(host)
        return f"{host}:{port}"

    def close(self) -> None:
        self._listener.close()
        self._waiting = None

    def mount(self, prefix: bytes, routes: Routes) -> None:
        """Serve every path under `prefix` (e.g. b"/2020-01-01/extension/") with `routes`."""
        self._mounts.append((prefix, routes))

    # -- from the environment ------------------------------------------------------------

    def invoke(self, request: InvocationRequest, deadline_ms: int) -> None:
        """Hand the event to the runtime: now if it waits in invocation/next, else at its
        next call."""
        self._event = (request, deadline_ms)
        self._current = None
        self._truncation = None
        self._stream = request.stream
        waiting = self._waiting
        if waiting is not None and waiting.open:
            self._hand_out(waiting)

    # -- Routes ----------------------------------------------------------------------------

    def body_limit(self, request: Request) -> int:
        mounted = self._mounted(request.path)
        if mounted is not None:
            return mounted.body_limit(request)
        if request.method != b"POST":
            return 0
        if is_streaming(request.headers) and request.path.startswith(_INVOCATION):
            return self._begin_stream(request)
        return MAX_RESPONSE

    def handle(self, request: Request, reply: Reply) -> None:
        path, method = request.path, request.method
        if path == _NEXT:
            if method != b"GET":
                reply.send(405)
            else:
                self._next(reply)
        elif path.startswith(_INVOCATION):
            request_id, _, action = path[len(_INVOCATION) :].partition(b"/")
            if action not in (b"response", b"error") or not request_id:
                _not_found(reply)
            elif method != b"POST":
                reply.send(405)
            elif action == b"response":
                self._response(request_id.decode("latin-1"), request, reply)
            else:
                self._invocation_error(request_id.decode("latin-1"), request, reply)
        elif path == _INIT_ERROR:
            if method != b"POST":
                reply.send(405)
            else:
                self._init_error(request, reply)
        elif (mounted := self._mounted(path)) is not None:
            mounted.handle(request, reply)
        else:
            _not_found(reply)

    def disconnected(self, reply: Reply) -> None:
        if reply is self._waiting:
            self._waiting = None  # the event, if one comes, waits for the next call
        for _, routes in self._mounts:
            routes.disconnected(reply)

    def _mounted(self, path: bytes) -> Routes | None:
        for prefix, routes in self._mounts:
            if path.startswith(prefix):
                return routes
        return None

    # -- the runtime's calls -----------------------------------------------------------------

    def _next(self, reply: Reply) -> None:
        state = self.state
        if state is State.INIT_ERROR:
            reply.send(403, _transition(state, "Ready"))
            return
        if self._waiting is not None and self._waiting.open:
            self._waiting.send(500, _error("InternalServerError", "Replaced by a newer call"))
        self._waiting = reply
        self.state = State.RUNNING
        if state is State.STARTED:
            self._deliver(Frame(READY, {}, b"", 0))  # init ends at the first next
        if self._event is not None and self._waiting is reply:
            self._hand_out(reply)

    def _hand_out(self, reply: Reply) -> None:
        assert self._event is not None
        request, deadline_ms = self._event
        self._event = None
        self._waiting = None
        self._current = request.request_id
        reply.send(200, request.payload, event_headers(request, deadline_ms))

    def _check_answer(self, request_id: str, target: str, reply: Reply) -> bool:
        if self.state is not State.RUNNING:
            reply.send(403, _transition(self.state, target))
            return False
        if request_id != self._current:
            reply.send(400, INVALID_REQUEST_ID)
            return False
        return True

    def _answered(self, kind: int, payload: bytes, size: int) -> None:
        self._current = None
        self.state = State.RESPONSE_SENT
        self._deliver(Frame(kind, {"rss_kb": self._peak_rss_kb()}, payload, size))

    def _response(self, request_id: str, request: Request, reply: Reply) -> None:
        if isinstance(request.sink, StreamedBody):
            self._end_stream(request, reply, request.sink)
            return
        if not self._check_answer(request_id, "InvocationResponse", reply):
            return
        if request.truncated:
            reply.send(413, TOO_LARGE)
            self._answered(RESULT, b"", request.size)  # the caller gets the size error
            return
        reply.send(202, _ACCEPTED)
        error = stream_error(request.trailers) if is_streaming(request.headers) else None
        if error is not None:  # a streamed answer joined for a buffered caller
            self._answered(ERROR, error, len(error))
            return
        self._answered(RESULT, bytes(request.body), request.size)

    # -- streamed responses (streamed.py) ------------------------------------------------

    def _begin_stream(self, request: Request) -> int:
        """Headers of a streamed response are in: forward its body from now on when the
        caller takes a stream (the checks and the answer wait for the body's end)."""
        path = request.path.split(b"?", 1)[0]
        request_id, _, action = path[len(_INVOCATION) :].partition(b"/")
        stream = self._stream
        if (
            action != b"response"
            or stream is None
            or self.state is not State.RUNNING
            or request_id.decode("latin-1") != self._current
        ):
            return MAX_RESPONSE  # taken whole (a buffered caller) or refused at its end
        self._current = None  # answered: nothing else may answer it meanwhile
        hung_up = functools.partial(self._hung_up, request_id.decode("latin-1"))
        request.sink = StreamedBody(stream, self._overflowed, hung_up)
        if request.flow is not None:
            stream.attach(request.flow)  # a slow caller pauses the runtime, not our memory
        stream.start(request.header(b"content-type"))
        return 0

    def _overflowed(self) -> None:
        # Past the streamed limit the invocation fails at once; the rest is dropped.
        stream = self._stream
        limit = stream.limit if stream is not None else MAX_RESPONSE
        error = outcomes.too_large(limit)
        self._answered(ERROR, error, len(error))

    def _hung_up(self, request_id: str) -> None:
        """The runtime closed its streamed response's connection before the body ended.
        If it died, its exit is the outcome (Runtime.ExitError); else, as on AWS, the
        invocation fails at once with Runtime.TruncatedResponse rather than waiting for
        its deadline. The grace lets a death be seen first: the kernel closes a dying
        process's sockets just before its exit can be observed."""
        token = self._truncation = object()
        loop = asyncio.get_running_loop()
        loop.call_later(HANG_UP_GRACE_S, self._truncated, token, request_id)

    def _truncated(self, token: object, request_id: str) -> None:
        if token is not self._truncation or self.state is not State.RUNNING:
            return
        error = outcomes.truncated_response(request_id)
        # The state stays the runtime's: it may be back in invocation/next already.
        self._deliver(Frame(ERROR, {"rss_kb": self._peak_rss_kb()}, error, len(error)))

    def _end_stream(self, request: Request, reply: Reply, body: StreamedBody) -> None:
        body.stream.end()
        if body.overflowed:
            reply.send(413, _too_large(body.stream.limit))
            return
        reply.send(202, _ACCEPTED)
        error = stream_error(request.trailers)
        if error is None:
            self._answered(RESULT, b"", 0)
        else:
            self._answered(ERROR, error, len(error))

    def _invocation_error(self, request_id: str, request: Request, reply: Reply) -> None:
        if not self._check_answer(request_id, "InvocationErrorResponse", reply):
            return
        if request.truncated:
            reply.send(413, TOO_LARGE)
            self._answered(ERROR, b"", request.size)
            return
        reply.send(202, _ACCEPTED)
        payload = error_document(request)
        self._answered(ERROR, payload, len(payload))

    def _init_error(self, request: Request, reply: Reply) -> None:
        if self.state is not State.STARTED:
            reply.send(403, _transition(self.state, "InitError"))
            return
        self.state = State.INIT_ERROR
        reply.send(202, _ACCEPTED)
        self._deliver(Frame(INIT_ERROR, {}, error_document(request), request.size))


def error_document(request: Request) -> bytes:
    """What the caller gets for a reported error: the body as posted (Lambda passes it
    through, whatever it holds), or, for an error-cause body, that document without its
    X-Ray `errorCause` (spec 8.3)."""
    body = bytes(request.body)
    content_type = request.headers.get(b"content-type", b"").split(b";", 1)[0].strip()
    if content_type != _ERROR_CAUSE:
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return json.dumps("Invalid error body").encode()
    parsed.pop("errorCause", None)
    return json.dumps(parsed).encode()


def _not_found(reply: Reply) -> None:
    reply.send(404, b"404 page not found\n", content_type=b"text/plain; charset=utf-8")

"""The Extensions API (2020-01-01) of one execution environment: register, event/next,
init/error and exit/error, with their headers, status codes and error documents.

It keeps each extension's state and hands out INVOKE and SHUTDOWN events; what a phase
waits for (every extension registered, every one back in event/next) and what a failure
does to the environment are host.py's, told through `on_change`. Error types and their 403
status follow AWS's runtime interface emulator (rapi), which the spec names as its source
for this API's wire facts.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from lambdalite.sandbox.runtime_api.http import Reply, Request

PREFIX = b"/2020-01-01/extension/"
_REGISTER = PREFIX + b"register"
_NEXT = PREFIX + b"event/next"
_INIT_ERROR = PREFIX + b"init/error"
_EXIT_ERROR = PREFIX + b"exit/error"
_BODY_LIMIT = 64 * 1024
_ACCEPTED = b'{"status":"OK"}'

EVENT_TYPES = frozenset({"INVOKE", "SHUTDOWN"})

# Header names (lower-cased, as the HTTP layer keeps them).
NAME = b"lambda-extension-name"
IDENTIFIER = b"lambda-extension-identifier"
ERROR_TYPE = b"lambda-extension-function-error-type"
ACCEPT_FEATURE = b"lambda-extension-accept-feature"


class Phase(Enum):
    LAUNCHED = "Launched"  # started, not registered yet
    REGISTERED = "Registered"  # registered, not yet in event/next
    READY = "Ready"  # waiting in event/next: done with the current phase
    BUSY = "Busy"  # handed an event, working on it
    FAILED = "Failed"  # called init/error or exit/error
    EXITED = "Exited"


@dataclass(eq=False)
class Extension:
    name: str
    external: bool  # started from /opt/extensions (internal ones register from the runtime)
    identifier: str = ""
    events: frozenset[str] = frozenset()
    phase: Phase = Phase.LAUNCHED
    error_type: str | None = None  # what it posted to init/error or exit/error
    waiting: Reply | None = None  # its parked event/next
    queue: deque[bytes] = field(default_factory=deque)  # events not yet handed out


def error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


class ExtensionsApi:
    """Routes for PREFIX; `identity` is the register answer's body (functionName,
    functionVersion, handler, accountId); `on_change` runs after any state change."""

    def __init__(self, identity: Mapping[str, str], on_change: Callable[[], None]) -> None:
        self._identity = dict(identity)
        self._on_change = on_change
        self.extensions: dict[str, Extension] = {}  # by name
        self._by_id: dict[str, Extension] = {}
        self.registration_open = True  # closes once init ends

    def expect(self, name: str) -> Extension:
        """An external extension that was launched under `name`."""
        ext = Extension(name, external=True)
        self.extensions[name] = ext
        return ext

    def by_identifier(self, identifier: str | None) -> Extension | None:
        return self._by_id.get(identifier or "")

    def send(self, ext: Extension, event: dict[str, Any]) -> None:
        """Queue an event for `ext`; it goes out now if the extension waits in event/next."""
        if ext.phase in (Phase.FAILED, Phase.EXITED):
            return
        ext.queue.append(json.dumps(event).encode())
        self._hand_out(ext)

    def exited(self, ext: Extension) -> None:
        ext.phase = Phase.EXITED
        ext.waiting = None

    def close(self) -> None:
        for ext in self.extensions.values():
            ext.waiting = None

    # -- Routes ----------------------------------------------------------------------------

    def body_limit(self, request: Request) -> int:
        return _BODY_LIMIT

    def handle(self, request: Request, reply: Reply) -> None:
        path, method = request.path, request.method
        action = {
            _REGISTER: (b"POST", self._register),
            _NEXT: (b"GET", self._next),
            _INIT_ERROR: (b"POST", self._init_error),
            _EXIT_ERROR: (b"POST", self._exit_error),
        }.get(path)
        if action is None:
            reply.send(404, b"404 page not found\n", content_type=b"text/plain; charset=utf-8")
        elif method != action[0]:
            reply.send(405)
        else:
            action[1](request, reply)

    def disconnected(self, reply: Reply) -> None:
        for ext in self.extensions.values():
            if ext.waiting is reply:
                ext.waiting = None

    # -- the calls -------------------------------------------------------------------------

    def _register(self, request: Request, reply: Reply) -> None:
        name = request.header(NAME)
        if not name:
            reply.send(403, error_body("Extension.InvalidExtensionName", "Empty extension name"))
            return
        if not self.registration_open:
            reply.send(403, error_body("Extension.RegistrationClosed", "Registration closed"))
            return
        events = _events_of(request)
        if events is None:
            reply.send(403, error_body("Extension.InvalidRequestFormat", "Invalid request body"))
            return
        unknown = sorted(set(events) - EVENT_TYPES)
        if unknown:
            message = f"Invalid event type: {unknown[0]}"
            reply.send(403, error_body("Extension.InvalidEventType", message))
            return
        ext = self.extensions.get(name)
        if ext is None:  # registered from inside the runtime: an internal extension
            if "SHUTDOWN" in events:
                reply.send(
                    403,
                    error_body(
                        "Extension.ShutdownEventNotSupportedForInternalExtension",
                        "SHUTDOWN event is not supported for internal extensions",
                    ),
                )
                return
            ext = Extension(name, external=False)
            self.extensions[name] = ext
        elif ext.phase is not Phase.LAUNCHED:
            reply.send(403, error_body("Extension.InvalidExtensionState", "Already registered"))
            return
        ext.identifier = str(uuid.uuid4())
        ext.events = frozenset(events)
        ext.phase = Phase.REGISTERED
        self._by_id[ext.identifier] = ext
        body = dict(self._identity)
        if request.header(ACCEPT_FEATURE) != "accountId":
            body.pop("accountId", None)
        headers = [(b"Lambda-Extension-Identifier", ext.identifier.encode())]
        reply.send(200, json.dumps(body).encode(), headers)
        self._on_change()

    def _caller(self, request: Request, reply: Reply) -> Extension | None:
        identifier = request.header(IDENTIFIER)
        if not identifier:
            reply.send(
                403,
                error_body("Extension.MissingExtensionIdentifier", "Missing extension identifier"),
            )
            return None
        ext = self._by_id.get(identifier)
        if ext is None:
            reply.send(
                403,
                error_body("Extension.UnknownExtensionIdentifier", "Unknown extension identifier"),
            )
            return None
        return ext

    def _next(self, request: Request, reply: Reply) -> None:
        ext = self._caller(request, reply)
        if ext is None:
            return
        if ext.phase in (Phase.FAILED, Phase.EXITED):
            reply.send(403, _invalid_state(ext))
            return
        if ext.waiting is not None and ext.waiting.open:
            ext.waiting.send(500, error_body("InternalServerError", "Replaced by a newer call"))
        ext.waiting = reply
        ext.phase = Phase.READY
        self._hand_out(ext)
        self._on_change()

    def _hand_out(self, ext: Extension) -> None:
        reply = ext.waiting
        if reply is None or not reply.open or not ext.queue:
            return
        ext.waiting = None
        ext.phase = Phase.BUSY
        headers = [(b"Lambda-Extension-Event-Identifier", str(uuid.uuid4()).encode())]
        reply.send(200, ext.queue.popleft(), headers)

    def _init_error(self, request: Request, reply: Reply) -> None:
        ext = self._caller(request, reply)
        if ext is None:
            return
        if ext.phase is not Phase.REGISTERED or not self.registration_open:
            reply.send(403, _invalid_state(ext))
            return
        self._fail(ext, request, reply)

    def _exit_error(self, request: Request, reply: Reply) -> None:
        ext = self._caller(request, reply)
        if ext is None:
            return
        if ext.phase in (Phase.FAILED, Phase.EXITED):
            reply.send(403, _invalid_state(ext))
            return
        self._fail(ext, request, reply)

    def _fail(self, ext: Extension, request: Request, reply: Reply) -> None:
        error_type = request.header(ERROR_TYPE)
        if not error_type:
            message = "Missing Lambda-Extension-Function-Error-Type header"
            reply.send(400, error_body("Extension.MissingHeader", message))
            return
        ext.phase = Phase.FAILED
        ext.error_type = error_type
        ext.waiting = None
        reply.send(202, _ACCEPTED)
        self._on_change()


def _invalid_state(ext: Extension) -> bytes:
    return error_body(
        "Extension.InvalidExtensionState",
        f"State transition from {ext.phase.value} is not allowed for extension {ext.name}",
    )


def _events_of(request: Request) -> list[str] | None:
    if request.truncated:
        return None
    try:
        body = json.loads(bytes(request.body) or b"{}")
    except ValueError:
        return None
    events = body.get("events", []) if isinstance(body, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        return None
    return events

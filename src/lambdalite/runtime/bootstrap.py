"""The Python runtime inside an environment: init (import the handler) and the invoke loop.

Mirrors the behaviour of AWS's runtime interface client (spec 8.3, 8.6): handler string
parsing, error documents, event/response marshalling, Lambda's logging format. The event
arrives over the frame channel instead of HTTP.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import resource
import select
import signal
import sys
import time
import traceback
from typing import Any, Callable, Optional, Tuple

from . import framing, logformat
from . import snapshot_restore_py as hooks
from .context import EnvironmentFacts, LambdaContext

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
_ENSURE_ASCII = sys.version_info < (3, 12)  # python3.12+ runtimes emit UTF-8 (spec 8.6)
_NBSP = "\u00a0"
_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

Handler = Callable[[Any, LambdaContext], Any]
_current = {"request_id": "", "tenant_id": None}  # read by the logging filter


class Fault(Exception):
    """An error the runtime itself names (Runtime.*), as opposed to a user exception."""

    def __init__(self, error_type: str, msg: str, trace: Optional[list[str]] = None) -> None:
        super().__init__(msg)
        self.error_type = error_type
        self.msg = msg
        self.trace = trace


def die_of_oom() -> None:
    """A MemoryError means the RLIMIT_AS backstop was hit: end like an OOM kill would."""
    os.kill(os.getpid(), signal.SIGKILL)


def load_handler(handler: str) -> Handler:
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e)) from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module %s as a handler module" % modname,
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        msg = "Unable to import module '%s': %s" % (modname, e)
        raise Fault("Runtime.ImportModuleError", msg) from None
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        msg = "Syntax error in module '%s': %s" % (modname, e)
        raise Fault("Runtime.UserCodeSyntaxError", msg, trace) from None
    try:
        return getattr(module, fname)  # type: ignore[no-any-return]
    except AttributeError:
        msg = "Handler '%s' missing on module '%s'" % (fname, modname)
        raise Fault("Runtime.HandlerNotFound", msg) from None


def make_error(
    message: str, error_type: str, trace: Optional[list[str]], request_id: str
) -> dict[str, Any]:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": trace or [],
    }


def user_trace(tb: Any) -> list[str]:
    """The formatted stack without the runtime's own leading frames."""
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if not frame.filename.startswith(RUNTIME_DIR):
            return traceback.format_list(frames[i:])
    return traceback.format_list(frames)


def error_from_exception(request_id: str) -> dict[str, Any]:
    etype, value, tb = sys.exc_info()
    assert etype is not None
    if isinstance(value, Fault):
        return make_error(value.msg, value.error_type, value.trace, request_id)
    return make_error(str(value), etype.__name__, user_trace(tb), request_id)


def log_error(doc: dict[str, Any]) -> None:
    """``[ERROR] Type: msg\\rTraceback ...`` - one CloudWatch event, NBSP-indented lines
    (with the JSON log format: one JSON object)."""
    if _JSON["on"]:
        sys.stdout.write(logformat.error_record(doc, _current["request_id"] or ""))
        return
    head = "[ERROR]"
    if doc.get("errorType"):
        head += " " + doc["errorType"]
    if doc.get("errorMessage"):
        head += (":" if doc.get("errorType") else "") + " " + doc["errorMessage"]
    lines = [head]
    trace = doc.get("stackTrace")
    if trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in trace:
            for line in element.splitlines() or [""]:
                stripped = line.lstrip(" ")
                lines.append(_NBSP * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):  # simplejson in the real runtime writes numbers
        if obj.is_finite() and obj == obj.to_integral_value():
            return int(obj)
        return float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


# One encoder for the life of the environment: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=_ENSURE_ASCII, default=_json_default)


def to_json(obj: Any) -> bytes:
    return _ENCODER.encode(obj).encode("utf-8")


class _RequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current["request_id"]
        record.tenant_id = _current["tenant_id"]
        return True


class LambdaLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.log_sink = sys.stdout

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.log_sink.write(self.format(record))
        except Exception:
            self.handleError(record)


_JSON = {"on": False}  # LoggingConfig.LogFormat is JSON


def setup_logging() -> None:
    logging.Formatter.converter = time.gmtime
    handler = LambdaLogHandler()
    _JSON["on"] = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    if _JSON["on"]:
        handler.setFormatter(logformat.JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(_RequestFilter())
    root = logging.getLogger()
    level = logformat.root_level(os.environ.get("AWS_LAMBDA_LOG_LEVEL"))
    if level is not None:
        root.setLevel(level)
    root.addHandler(handler)


def _json_header(text: Optional[str], name: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except Exception as e:
        msg = "Unable to parse %s JSON: %s" % (name, e)
        raise Fault("Runtime.LambdaContextUnmarshalError", msg) from None


def _set_trace_id(trace_id: Optional[str]) -> None:
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    elif "_X_AMZN_TRACE_ID" in os.environ:
        del os.environ["_X_AMZN_TRACE_ID"]


def invoke(
    handler: Handler,
    meta: dict[str, Any],
    payload: bytes,
    facts: Optional[EnvironmentFacts] = None,
) -> Tuple[int, bytes]:
    request_id = meta["id"]
    _current["request_id"] = request_id
    _current["tenant_id"] = meta.get("tenant")
    _set_trace_id(meta.get("trace"))
    try:
        context = LambdaContext(
            request_id,
            meta["arn"],
            meta["deadline_ms"],
            _json_header(meta.get("cc"), "Client Context"),
            _json_header(meta.get("ci"), "Cognito Identity"),
            meta.get("tenant"),
            facts,
        )
        try:
            event = json.loads(payload)
        except Exception as e:
            raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e) from None
        result = handler(event, context)
        if result is None:
            return framing.RESULT, b"null"  # the encoder's answer, without building one
        if isinstance(result, bytes):
            return framing.RESULT, result
        try:
            return framing.RESULT, to_json(result)
        except MemoryError:
            raise
        except Exception as e:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e) from None
    except MemoryError:
        die_of_oom()
        raise
    except Exception:
        doc = error_from_exception(request_id)
    log_error(doc)
    return framing.ERROR, to_json(doc)


def init(handler_name: str) -> Tuple[Optional[Handler], Optional[dict[str, Any]]]:
    try:
        return load_handler(handler_name), None
    except MemoryError:
        die_of_oom()
        raise
    except Exception:
        doc = error_from_exception("")
    logging.warning(_WARNING)
    log_error(doc)
    return None, doc


LINGER_S = 0.0005


def _linger(channel: framing.ByteChannel) -> None:
    """Stay on the CPU briefly before blocking for the next invocation.

    Waking a blocked process costs tens of microseconds on virtual machines (an
    inter-processor interrupt), a third of a warm invoke. The server asks for this only
    while it is otherwise idle (one invocation in flight), so that lingering never takes
    CPU from a busy server.
    """
    deadline = time.monotonic() + LINGER_S
    poll = select.poll()
    poll.register(channel, select.POLLIN)
    while time.monotonic() < deadline:
        if poll.poll(0):
            return
        os.sched_yield()


def run(cfg: dict[str, Any], channel: framing.ByteChannel) -> int:
    """Init, then serve invocations one at a time until the server closes the channel."""
    setup_logging()
    handler, doc = init(cfg["handler"])
    if handler is None:
        framing.write_frame(channel, framing.INIT_ERROR, None, to_json(doc))
        return 1
    return serve(handler, channel)


def _hook_failure(error_type: str) -> dict[str, Any]:
    """A hook raised: the error document names the hook phase (spec 2.4.1), the message
    and trace are the exception's."""
    doc = error_from_exception("")
    doc["errorMessage"] = "%s: %s" % (doc["errorType"], doc["errorMessage"])
    doc["errorType"] = error_type
    log_error(doc)
    return doc


def snapshot(cfg: dict[str, Any]) -> Tuple[Optional[Handler], Optional[dict[str, Any]]]:
    """SnapStart init, once per published version: import the handler, then run the
    before-snapshot hooks. The caller keeps this process as the snapshot (forkserver.py)."""
    setup_logging()
    handler, doc = init(cfg["handler"])
    if handler is None:
        return None, doc
    try:
        hooks.run_before_snapshot()
    except MemoryError:
        die_of_oom()
        raise
    except Exception:
        return None, _hook_failure("Runtime.BeforeSnapshotError")
    return handler, None


def restore(handler: Handler, channel: framing.ByteChannel) -> int:
    """An environment forked from the snapshot: after-restore hooks, then invocations."""
    try:
        hooks.run_after_restore()
    except MemoryError:
        die_of_oom()
        raise
    except Exception:
        doc = _hook_failure("Runtime.AfterRestoreError")
        framing.write_frame(channel, framing.INIT_ERROR, None, to_json(doc))
        return 65  # the exit code AWS's runtime uses for a failed after-restore hook
    return serve(handler, channel)


def serve(handler: Handler, channel: framing.ByteChannel) -> int:
    framing.write_frame(channel, framing.READY, None, b"")
    facts = EnvironmentFacts()  # after init, which may still set the environment
    frames = framing.FrameReader(channel)
    linger = False
    while True:
        if linger:
            _linger(channel)
        frame = frames.read()
        if frame is None:
            return 0
        kind, meta, payload = frame
        if kind != framing.INVOKE:
            continue
        linger = bool(meta.get("linger"))
        out_kind, body = invoke(handler, meta, payload, facts)
        _current["request_id"] = ""
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        framing.write_frame_raw(channel, out_kind, b'{"rss_kb":%d}' % rss_kb, body)

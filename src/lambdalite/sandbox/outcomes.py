"""Error documents the platform (not the runtime) produces (spec 2.4.1)."""

from __future__ import annotations

import json
import signal

MAX_RESPONSE = 6_291_556  # 6 MiB + 100 bytes (spec 2.4)

# Go's names for signals: AWS's messages come from Go's os.ProcessState.String().
_GO_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGPIPE: "broken pipe",
    signal.SIGHUP: "hangup",
    signal.SIGQUIT: "quit",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGALRM: "alarm clock",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGSYS: "bad system call",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
}

OOM_KILLED = -int(signal.SIGKILL)


def exit_reason(code: int | None) -> str:
    """'Runtime exited with error: exit status 3' / '... signal: killed' / no reason."""
    if code is None or code == 0:
        return "Runtime exited without providing a reason"
    if code > 0:
        return f"Runtime exited with error: exit status {code}"
    try:
        name = _GO_SIGNAL_NAMES.get(signal.Signals(-code), f"signal {-code}")
    except ValueError:
        name = f"signal {-code}"
    return f"Runtime exited with error: signal: {name}"


def _doc(fields: dict[str, str]) -> bytes:
    return json.dumps(fields).encode()


def exit_error(request_id: str, code: int | None) -> bytes:
    return _doc(
        {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: {exit_reason(code)}",
        }
    )


def timed_out(request_id: str, timeout_s: float) -> bytes:
    return _doc(
        {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
            f"{timeout_s:.2f} seconds",
        }
    )


def truncated_response(request_id: str) -> bytes:
    """A streamed response whose connection the runtime closed before its end (spec 8.8;
    the message is ours)."""
    return _doc(
        {
            "errorType": "Runtime.TruncatedResponse",
            "errorMessage": f"RequestId: {request_id} Error: the runtime closed the response "
            "stream before its end",
        }
    )


def too_large(limit: int = MAX_RESPONSE) -> bytes:
    """`limit`: a buffered answer's (6 MB), or a streamed one's (sandbox/streaming.py)."""
    return _doc(
        {
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
            f"({limit} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    )


def error_type_of(doc: bytes) -> str:
    try:
        value = json.loads(doc).get("errorType", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""

"""X-Ray trace headers (observability brief 3.1-3.2): parse, mint and hand on.

`Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0|1|?`, with any other
`key=value` pairs (AWS's `Lineage=...`) kept verbatim and in order.
"""

from __future__ import annotations

import random
from contextvars import ContextVar

_random_bits = random.Random().getrandbits  # unique, not secret (as invoker.new_request_id)

TRACE_HEADER = "x-amzn-trace-id"
ACTIVE = "Active"
# The X-Amzn-Trace-Id of the AWS request being served (api/dispatch.py sets it around each
# operation): botocore adds it to every call made from inside a function.
incoming: ContextVar[str | None] = ContextVar("incoming_trace_header", default=None)


def new_root(now: float) -> str:
    return f"1-{int(now):08x}-{_random_bits(96):024x}"


def new_parent() -> str:
    return f"{_random_bits(64):016x}"


def parse(header: str) -> list[tuple[str, str]]:
    """The header's pairs in order; a malformed pair is dropped, as X-Ray ignores it."""
    pairs = []
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            pairs.append((key, value))
    return pairs


def _format(pairs: list[tuple[str, str]]) -> str:
    return ";".join(f"{k}={v}" for k, v in pairs)


def root_of(header: str | None) -> str | None:
    if not header:
        return None
    return next((v for k, v in parse(header) if k == "Root"), None)


def is_sampled(header: str | None) -> bool:
    return bool(header) and ("Sampled", "1") in parse(header or "")


def for_invocation(incoming: str | None, tracing_mode: str, now: float) -> str:
    """The trace header an invocation runs with (brief 3.2, point 1).

    What came in is kept (its Root, Parent and extra pairs). With nothing, a new root is
    minted anyway, so logs and journeys have a key: sampled under Active tracing, not under
    PassThrough. Active tracing samples an incoming header that left the decision open.
    """
    if not incoming:  # every sync invoke without a header: one format, no parsing
        sampled = "1" if tracing_mode == ACTIVE else "0"
        return (
            f"Root=1-{int(now):08x}-{_random_bits(96):024x};"
            f"Parent={_random_bits(64):016x};Sampled={sampled}"
        )
    pairs = parse(incoming)
    if not any(k == "Root" for k, _ in pairs):
        sampled = "1" if tracing_mode == ACTIVE else "0"
        return _format([("Root", new_root(now)), ("Parent", new_parent()), ("Sampled", sampled)])
    if tracing_mode == ACTIVE:
        decided = [(k, v) for k, v in pairs if k == "Sampled" and v in ("0", "1")]
        if not decided:
            pairs = [(k, v) for k, v in pairs if k != "Sampled"] + [("Sampled", "1")]
    return _format(pairs)


def next_hop(header: str) -> str:
    """The same trace, with a new Parent: what each attempt of an async event runs with."""
    pairs = parse(header)
    if any(k == "Parent" for k, _ in pairs):
        pairs = [(k, new_parent() if k == "Parent" else v) for k, v in pairs]
    else:
        at = next((i + 1 for i, (k, _) in enumerate(pairs) if k == "Root"), 0)
        pairs.insert(at, ("Parent", new_parent()))
    return _format(pairs)


def otel_ids(header: str) -> tuple[int, int, bool] | None:
    """(trace id, parent span id, sampled) as OpenTelemetry numbers, from an X-Ray header:
    the trace id is the Root's 32 hex digits without dashes."""
    root = root_of(header)
    if root is None:
        return None
    parts = root.split("-")
    if len(parts) != 3 or len(parts[1]) != 8 or len(parts[2]) != 24:
        return None
    try:
        trace_id = int(parts[1] + parts[2], 16)
        parent = next((v for k, v in parse(header) if k == "Parent"), "")
        span_id = int(parent, 16) if len(parent) == 16 else 0
    except ValueError:
        return None
    return trace_id, span_id, is_sampled(header)


def with_system_attribute(entry: dict[str, object], header: str | None) -> dict[str, object]:
    """An SQS send entry with `header` as its AWSTraceHeader, unless the entry names one
    itself: the explicit system attribute wins over the HTTP header (brief 3.2, point 4)."""
    if not header:
        return entry
    system = entry.get("MessageSystemAttributes") or {}
    if not isinstance(system, dict) or "AWSTraceHeader" in system:
        return entry
    traced = {**system, "AWSTraceHeader": {"DataType": "String", "StringValue": header}}
    return {**entry, "MessageSystemAttributes": traced}

"""View models of the overview (S1), a function (S2), one invocation, and the clock (S8).

Each is a plain async function of the platform returning JSON-ready data: the HTML page
and its JSON twin render the same dict.
"""

from __future__ import annotations

from typing import Any

from lambdalite.asyncq import journey
from lambdalite.clock import VirtualClock
from lambdalite.console.triggers import service_triggers
from lambdalite.model.function import FunctionConfig
from lambdalite.observe.journal import JournalEntry
from lambdalite.platform import Platform

COUNT_WINDOW_S = 300.0  # the overview's live counts: the last five minutes
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
SHOWN_BYTES = 64 * 1024  # a payload shown on a page; the JSON twin has the stored 256 KiB


async def all_functions(p: Platform) -> list[FunctionConfig]:
    found: list[FunctionConfig] = []
    marker: str | None = None
    while True:
        page = await p.functions.list_latest(marker, 50)
        found += page.items
        marker = page.next_marker
        if marker is None:
            return found


def log_group(config: FunctionConfig) -> str:
    return config.log_group or f"/aws/lambda/{config.name}"


def clock_view(p: Platform) -> dict[str, Any]:
    virtual = isinstance(p.clock, VirtualClock)
    return {"now": p.clock.now(), "kind": "virtual" if virtual else p.settings.clock}


async def overview(p: Platform) -> dict[str, Any]:
    now = p.clock.now()
    counts = await p.backend.journal.counts(now - COUNT_WINDOW_S)
    rows = []
    for c in sorted(await all_functions(p), key=lambda c: c.name):
        n = counts.get(c.name)
        ran = n.invocations if n else 0
        rows.append(
            {
                "name": c.name,
                "runtime": c.runtime,
                "handler": c.handler,
                "memorySize": c.memory_size,
                "timeout": c.timeout,
                "state": c.state.value,
                "lastModified": c.last_modified,
                "invocations": ran,
                "errors": n.errors if n else 0,
                "throttles": n.throttles if n else 0,
                "averageDurationMs": round(n.total_duration_ms / ran, 2) if n and ran else None,
                "lastInvokedAt": n.last_at if n else None,
            }
        )
    return {
        "functions": rows,
        "windowSeconds": COUNT_WINDOW_S,
        "clock": clock_view(p),
        "endpoint": p.base_url,
        "journalRetention": {
            "keepPerFunction": p.journal.retention.keep_per_function,
            "maxAgeSeconds": p.journal.retention.max_age_s,
        },
    }


def listed(e: JournalEntry) -> dict[str, Any]:
    return {
        "requestId": e.request_id,
        "trigger": e.trigger,
        "executedVersion": e.executed_version,
        "invokedArn": e.invoked_arn,
        "startedAt": e.started_at,
        "endedAt": e.ended_at,
        "durationMs": round(e.duration_ms, 2),
        "billedDurationMs": e.billed_ms,
        "maxMemoryUsedMB": e.max_memory_mb,
        "initDurationMs": e.init_ms,
        "cold": e.cold,
        "outcome": e.outcome,
        "errorType": e.error_type,
        "payloadSize": e.payload_size,
        "responseSize": e.response_size,
        "traceId": e.trace_id,
        "sourceId": e.source_id,
    }


async def invocations(
    p: Platform, name: str, *, limit: int = DEFAULT_LIMIT, failed_only: bool = False,
    before_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    limit = max(1, min(limit, MAX_LIMIT))
    found = await p.backend.journal.recent(
        name, limit, failed_only=failed_only, before_id=before_id
    )
    more = found[-1].id if len(found) == limit else None
    return {
        "functionName": name,
        "invocations": [listed(e) for e in found],
        "nextBefore": more,
    }


async def function_detail(p: Platform, name: str, *, failed_only: bool = False) -> dict[str, Any]:
    c = await p.functions.latest(name)  # ResourceNotFoundException when there is none
    record = await p.functions.record(name)
    configs, _ = await p.async_queue.async_store.list_configs(name, None, 50)
    mappings = await p.mappings.list(None, name, None, 100)
    return {
        "configuration": {
            "functionName": c.name,
            "functionArn": p.functions.arn(c.name),
            "runtime": c.runtime,
            "handler": c.handler,
            "memorySize": c.memory_size,
            "timeout": c.timeout,
            "state": c.state.value,
            "lastModified": c.last_modified,
            "role": c.role,
            "environmentNames": sorted(c.environment),
            "deadLetterTargetArn": c.dead_letter_target_arn,
            "reservedConcurrency": record.reserved_concurrency,
            "logGroup": log_group(c),
        },
        "triggers": [
            {"uuid": m.uuid, "source": m.event_source_arn, "state": m.state.value}
            for m in mappings.items
        ]
        + await service_triggers(p, p.functions.arn(c.name)),
        "destinations": [
            {
                "qualifier": cfg.qualifier,
                "maximumRetryAttempts": cfg.maximum_retry_attempts,
                "maximumEventAgeInSeconds": cfg.maximum_event_age_in_seconds,
                "onSuccess": cfg.on_success,
                "onFailure": cfg.on_failure,
            }
            for cfg in configs
        ],
        "invocations": (await invocations(p, name, failed_only=failed_only))["invocations"],
        "asyncEvents": (await journey.recent_events(p.async_queue.async_store, name, 20))["events"],
        "failedOnly": failed_only,
        "clock": clock_view(p),
    }


def _text(data: bytes, size: int, limit: int) -> dict[str, Any]:
    shown = data[:limit]
    return {
        "text": shown.decode("utf-8", "replace"),
        "size": size,
        "truncated": size > len(shown),
    }


async def invocation(p: Platform, request_id: str, *, limit: int = SHOWN_BYTES) -> dict[str, Any]:
    """Every run with this request id (an async event's attempts), with payload, response
    and that run's log lines."""
    runs = []
    for e in await p.backend.journal.by_request(request_id):
        try:
            group = log_group(await p.functions.latest(e.function_name))
        except Exception:  # the function is gone; its logs are under the default group
            group = f"/aws/lambda/{e.function_name}"
        since = e.logged_ms - int(e.duration_ms) - 2000
        lines = await p.backend.logs.invocation_lines(group, request_id, since, e.logged_ms + 2000)
        runs.append(
            {
                **listed(e),
                "functionName": e.function_name,
                "payload": _text(e.payload, e.payload_size, limit),
                "response": _text(e.response, e.response_size, limit),
                "logs": [
                    {"timestamp": line.timestamp_ms, "message": line.message} for line in lines
                ],
            }
        )
    return {"requestId": request_id, "runs": runs}

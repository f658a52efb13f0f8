"""OpenTelemetry spans for invocations (observability brief 3.3), exported over OTLP.

On only when the optional extra is installed (`pip install 'lambdalite[otel]'`) and one of
OpenTelemetry's standard variables names an endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); every other OTEL_* variable configures it as usual.
One SERVER span per invocation (each async attempt, each mapping batch), in the X-Ray
trace the invocation ran in: its trace id is the Root's, its parent the header's Parent,
so the spans join whatever the caller exported. Every invocation is offered for export;
OTEL_TRACES_SAMPLER chooses, as for any OpenTelemetry program.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from lambdalite.observe import trace
from lambdalite.observe.outcome import InvocationOutcome, Trigger

log = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# semconv faas.trigger for each path
_FAAS_TRIGGER = {
    Trigger.SYNC: "other",
    Trigger.ASYNC: "other",
    Trigger.MAPPING: "datasource",
    Trigger.GATEWAY: "http",
    Trigger.URL: "http",
}


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    return any(environ.get(name) for name in ENDPOINT_VARIABLES)


class OtelSink:
    """An OutcomeSink; the SDK's batch processor exports from its own thread."""

    def __init__(self, region: str, account_id: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        resource = Resource.create(
            {"service.name": "lambdalite", "cloud.provider": "aws", "cloud.region": region}
        )
        self._provider = TracerProvider(resource=resource)
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._tracer = self._provider.get_tracer("lambdalite")
        self._account_id = account_id

    def record(self, outcome: InvocationOutcome) -> None:
        from opentelemetry import trace as otel
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

        parent: Any = None
        ids = trace.otel_ids(outcome.trace_id or "")
        if ids is not None and ids[1]:
            remote = SpanContext(ids[0], ids[1], is_remote=True, trace_flags=TraceFlags(1))
            parent = otel.set_span_in_context(otel.NonRecordingSpan(remote))
        start_ns = int(outcome.started_at * 1e9)
        span = self._tracer.start_span(
            outcome.function_name,
            context=parent,
            kind=SpanKind.SERVER,
            start_time=start_ns,
            attributes=self._attributes(outcome),
        )
        if outcome.function_error or outcome.throttled:
            span.set_status(Status(StatusCode.ERROR))
            span.set_attribute("error.type", outcome.error_type or "Throttled")
        span.end(end_time=start_ns + int(outcome.duration_ms * 1e6))

    def _attributes(self, outcome: InvocationOutcome) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "faas.invocation_id": outcome.request_id,
            "faas.trigger": _FAAS_TRIGGER[outcome.trigger],
            "faas.coldstart": outcome.cold,
            "faas.name": outcome.function_name,
            "faas.version": outcome.executed_version,
            "cloud.resource_id": outcome.invoked_arn,
            "aws.lambda.invoked_arn": outcome.invoked_arn,
            "cloud.account.id": self._account_id,
            "lambdalite.trigger": outcome.trigger.value,
        }
        if outcome.source_id:
            attributes["lambdalite.source_id"] = outcome.source_id
        return attributes

    def shutdown(self) -> None:
        self._provider.shutdown()  # flushes what is batched


def sink_from_environment(region: str, account_id: str) -> OtelSink | None:
    """The exporter, if the environment asks for one and the extra is installed."""
    if not wanted():
        return None
    try:
        return OtelSink(region, account_id)
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'lambdalite[otel]' to export spans"
        )
        return None

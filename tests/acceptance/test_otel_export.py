"""With OpenTelemetry's standard variables set, each invocation is exported over OTLP as a
SERVER span in the X-Ray trace it ran in (observe/otel.py, observability brief 3.3)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.acceptance.conftest import Server, create, start_server, stop_server
from tests.acceptance.test_traces import GIVEN, with_trace_header

trace_service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")

FAIL = "def handler(event, context):\n    raise KeyError('x')\n"
OK = "def handler(event, context):\n    return 1\n"


class Collector:
    """An OTLP/HTTP trace receiver: keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = trace_service.ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in request.resource_spans:
                    for scope_spans in resource_spans.scope_spans:
                        collector.spans.extend(scope_spans.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def span_for(self, request_id: str) -> Any:
        deadline = time.monotonic() + 20  # the exporter batches on its own thread
        while time.monotonic() < deadline:
            for span in self.spans:
                attributes = {a.key: a.value for a in span.attributes}
                if attributes["faas.invocation_id"].string_value == request_id:
                    return span
            time.sleep(0.02)
        raise AssertionError(f"no span for {request_id}: {self.spans}")


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.http.shutdown()
    c.http.server_close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, collector: Collector) -> Iterator[Server]:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50"}
    server = start_server(tmp_path_factory.mktemp("otel"), "--no-example", env=env)
    yield server
    stop_server(server)


def test_an_invocation_is_a_server_span_in_the_callers_trace(
    srv: Server, collector: Collector
) -> None:
    lam = with_trace_header(srv.client("lambda"), GIVEN)
    name = create(lam, OK)
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    span = collector.span_for(response["ResponseMetadata"]["RequestId"])
    assert span.trace_id.hex() == "5759e988bd862e3fe1be46a994272793"
    assert span.parent_span_id.hex() == "53995c3f42cd8ad8"
    assert span.name == name and span.kind == span.SPAN_KIND_SERVER
    attributes = {a.key: a.value for a in span.attributes}
    assert attributes["faas.coldstart"].bool_value is True
    assert attributes["lambdalite.trigger"].string_value == "sync"
    assert span.end_time_unix_nano > span.start_time_unix_nano
    assert span.status.code != span.status.STATUS_CODE_ERROR


def test_a_failed_invocation_is_an_error_span_with_its_type(
    srv: Server, collector: Collector
) -> None:
    lam = srv.client("lambda")
    response = lam.invoke(FunctionName=create(lam, FAIL), Payload=json.dumps({}))
    span = collector.span_for(response["ResponseMetadata"]["RequestId"])
    attributes = {a.key: a.value for a in span.attributes}
    assert span.status.code == span.status.STATUS_CODE_ERROR
    assert attributes["error.type"].string_value == "KeyError"
    assert len(span.trace_id) == 16 and span.parent_span_id  # a root minted for it

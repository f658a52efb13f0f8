"""Every invocation path ends in the one outcome boundary (observe/outcome.py): a sink
registered there sees sync runs, failures, throttles and each async attempt, once each."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.config import Settings
from lambdalite.observe.outcome import InvocationOutcome, Trigger
from lambdalite.server import EXAMPLE_ROLE, uvicorn_config
from lambdalite.testing import free_port
from tests.integration.served import create_hello, lambda_client


class Collected:
    def __init__(self) -> None:
        self.outcomes: list[InvocationOutcome] = []

    def record(self, outcome: InvocationOutcome) -> None:
        self.outcomes.append(outcome)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, Collected]]:
    config = uvicorn_config(Settings(data_dir=tmp_path, port=free_port(), deploy_example=False))
    sink = Collected()
    config.app.platform.outcomes.add(sink)
    with lambda_client(config) as client:
        yield client, sink


def _failing_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    raise KeyError('nope')\n")
    return buffer.getvalue()


def _wait_for(sink: Collected, count: int) -> None:
    deadline = time.monotonic() + 20
    while sum(o.trigger is Trigger.ASYNC for o in sink.outcomes) < 2 or len(sink.outcomes) < count:
        assert time.monotonic() < deadline, sink.outcomes
        time.sleep(0.01)


def test_sync_runs_failures_throttles_and_async_attempts_are_recorded_once(
    served: tuple[Any, Collected],
) -> None:
    lam, sink = served
    create_hello(lam, "hello", "python3.11")
    lam.create_function(
        FunctionName="failing",
        Runtime="python3.11",
        Role=EXAMPLE_ROLE,
        Handler="app.handler",
        Code={"ZipFile": _failing_zip()},
    )
    lam.invoke(FunctionName="hello", Payload=json.dumps({"name": "a"}))
    lam.invoke(FunctionName="hello", Payload=json.dumps({"name": "b"}))
    lam.invoke(FunctionName="failing", Payload=b"{}")
    lam.put_function_concurrency(FunctionName="hello", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="hello", Payload=b"{}")
    lam.delete_function_concurrency(FunctionName="hello")
    lam.invoke(FunctionName="hello", InvocationType="Event", Payload=json.dumps({"name": "e"}))
    lam.invoke(FunctionName="hello", InvocationType="Event", Payload=json.dumps({"name": "f"}))
    _wait_for(sink, 2 + 3 + 1)  # two attempts, three runs and at least one throttle

    # The client's own retry of a 429 is a second throttle: count them, not the calls.
    throttles = [o for o in sink.outcomes if o.throttled]
    ran = [o for o in sink.outcomes if not o.throttled]
    assert throttles and all(o.trigger is Trigger.SYNC for o in throttles)
    cold, warm, failed, attempt, _ = ran
    assert [o.trigger for o in ran] == [Trigger.SYNC] * 3 + [Trigger.ASYNC] * 2
    throttled = throttles[0]
    assert cold.cold and not warm.cold and cold.function_name == "hello"
    assert json.loads(warm.response)["message"] == "Hello, b!"
    assert json.loads(warm.payload) == {"name": "b"}
    assert failed.function_error == "Unhandled" and failed.error_type == "KeyError"
    assert throttled.throttled and throttled.duration_ms == 0.0 and not throttled.response
    assert not cold.throttled and cold.duration_ms > 0
    assert attempt.source_id == attempt.request_id and attempt.executed_version == "$LATEST"
    assert len({o.request_id for o in ran}) == 5

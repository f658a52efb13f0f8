"""`serve --no-observe` (LAMBDALITE_OBSERVE=0), the bench's "without": invocations run as
usual and nothing is recorded, neither metrics nor the journal; the default records both.
`--no-journal` (LAMBDALITE_JOURNAL=0) leaves out the journal alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import clock_now, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

OK = "def handler(event, context):\n    return 7\n"


def recorded(srv: Server) -> tuple[int, float]:
    """(journalled invocations of every function, the Invocations sum of the hour)."""
    lam, cw = srv.client("lambda"), srv.client("cloudwatch")
    name = create(lam, OK)
    assert lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read() == b"7"
    drain(srv.endpoint)
    listed = httpx.get(f"{srv.endpoint}/_lambdalite/api/invocations", params={"function": name})
    now = clock_now(srv.endpoint)
    r: Any = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=datetime.fromtimestamp(now - 3600, tz=UTC),
        EndTime=datetime.fromtimestamp(now + 60, tz=UTC),
        Period=3600,
        Statistics=["Sum"],
    )
    return len(listed.json()["invocations"]), sum(p["Sum"] for p in r["Datapoints"])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LAMBDALITE_OBSERVE": "0"}, (0, 0.0)),
        ({"LAMBDALITE_OBSERVE": "1"}, (1, 1.0)),
        ({"LAMBDALITE_JOURNAL": "0"}, (0, 1.0)),
    ],
)
def test_no_observe_records_nothing(
    tmp_path: Path, env: dict[str, str], expected: tuple[int, float]
) -> None:
    srv = start_server(tmp_path, "--no-example", "--clock", "virtual", env=env)
    try:
        assert recorded(srv) == expected
    finally:
        stop_server(srv)

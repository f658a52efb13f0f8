"""The invocation journal's file is written with synchronous=OFF (store/sqlite/journal.py):
what it had written survives kill -9 of the server (accepted events, in the main file, are
test_async_crash.py's)."""

from __future__ import annotations

from pathlib import Path

import httpx

from lambdalite.testing import drain
from tests.acceptance.conftest import create, start_server, stop_server

ECHO = "def handler(event, context):\n    return event\n"


def _journalled(endpoint: str, name: str) -> list[tuple[str, str]]:
    listed = httpx.get(f"{endpoint}/_lambdalite/api/invocations", params={"function": name})
    return [(i["trigger"], i["outcome"]) for i in listed.json()["invocations"]]


def test_what_the_journal_wrote_survives_kill_9(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        lam = srv.client("lambda")
        name = create(lam, ECHO)
        assert lam.invoke(FunctionName=name, Payload=b'{"n": 1}')["Payload"].read() == b'{"n": 1}'
        drain(srv.endpoint)  # the journal's batch is written
        assert _journalled(srv.endpoint, name) == [("sync", "Success")]
        srv.process.kill()
        srv.process.wait(timeout=10)
    finally:
        stop_server(srv)
    again = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        lam = again.client("lambda")
        assert _journalled(again.endpoint, name) == [("sync", "Success")]
        assert lam.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
        drain(again.endpoint)  # and the journal goes on where it was
        assert _journalled(again.endpoint, name) == [("sync", "Success")] * 2
    finally:
        stop_server(again)

"""The coverage report over HTTP (the console's source) and from the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from tests.acceptance.conftest import Server


def test_the_server_and_the_cli_report_the_same_coverage(server: Server) -> None:
    served = httpx.get(f"{server.endpoint}/_lambdalite/api/coverage", timeout=30)
    assert served.status_code == 200
    doc = served.json()
    lam = next(s for s in doc["services"] if s["service"] == "lambda")
    ops = {o["name"]: o["implemented"] for o in lam["operations"]}
    assert ops["AddPermission"] and ops["Invoke"] and not ops["CreateCodeSigningConfig"]
    assert {s["service"] for s in doc["services"]} >= {
        "lambda",
        "sqs",
        "sns",
        "events",
        "kinesis",
        "logs",
    }
    command = [sys.executable, "-m", "lambdalite.cli.main", "coverage", "--format", "json"]
    printed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(printed.stdout) == doc
    text = subprocess.run(command[:-2], capture_output=True, text=True, timeout=60, check=True)
    assert "lambda (rest-json): " in text.stdout and "[x] AddPermission" in text.stdout

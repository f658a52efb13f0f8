"""API coverage is read off the routing tables, and docs/coverage.md is what they generate."""

from __future__ import annotations

import re
from pathlib import Path

import botocore

from lambdalite.api import app, coverage

DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
STALE = f"docs/coverage.md is stale: run `{coverage.REGENERATE}` and commit it"


def implemented(markdown: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    service = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            service = line[3:]
        elif line.endswith("| yes |"):
            out.setdefault(service, set()).add(line.split("|")[1].strip())
    return out


def test_the_committed_coverage_table_is_the_generated_one() -> None:
    generated = coverage.to_markdown(coverage.build(app.served_operations()))
    committed = DOC.read_text()
    found = re.search(r"botocore (\S+)'s service models", committed)
    if found is not None and found.group(1) == botocore.__version__:
        assert committed == generated, STALE
    else:  # another botocore may list other operations: what we route must still agree
        assert implemented(committed) == implemented(generated), STALE


def test_served_operations_follow_the_routing_tables() -> None:
    served = app.served_operations()
    assert served["lambda"] >= set(app.LAMBDA_OPERATIONS)
    assert {"Invoke", "AddPermission", "GetPolicy", "RemovePermission"} <= served["lambda"]
    assert "InvokeWithResponseStream" in served["lambda"]  # streamed by the ASGI app itself
    for spec in app.SERVICES:
        assert served[spec.name] == frozenset(spec.operations)


def test_every_operation_of_the_model_is_listed_once() -> None:
    report = {s.service: s for s in coverage.build(app.served_operations())}
    lam = report["lambda"]
    names = [op for op, _ in lam.operations]
    assert len(names) == len(set(names)) == len(coverage.load_service("lambda").operation_names)
    assert dict(lam.operations)["Invoke"] is True
    assert dict(lam.operations)["CreateCodeSigningConfig"] is False
    doc = coverage.to_json(list(report.values()))
    entry = next(s for s in doc["services"] if s["service"] == "lambda")
    assert entry["implemented"] == sum(o["implemented"] for o in entry["operations"])

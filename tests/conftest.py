from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from lambdalite.testing import Server


@pytest.fixture(autouse=True)
def _no_lambdalite_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come only from what a test passes, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("LAMBDALITE_"):
            monkeypatch.delenv(key)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used a server shows the end of that server's log: CI prints only
    the report, and the server's side of a failure is often the part that explains it."""
    report = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, Server) and value.log_path.exists():
                tail = value.log_path.read_text(errors="replace").splitlines()[-40:]
                report.sections.append((f"server log of {name} (last 40 lines)", "\n".join(tail)))
    return report

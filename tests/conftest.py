from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_lambdalite_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come only from what a test passes, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("LAMBDALITE_"):
            monkeypatch.delenv(key)

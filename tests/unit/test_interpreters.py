from __future__ import annotations

import sys

import pytest

from lambdalite.sandbox import interpreters


def test_a_missing_runtime_falls_back_to_the_servers_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interpreters.interpreter_for.cache_clear()
    monkeypatch.setattr(interpreters, "_candidates", lambda runtime, version: [])
    try:
        own = f"python{sys.version_info.major}.{sys.version_info.minor}"
        other = "python3.9" if own != "python3.9" else "python3.10"
        chosen = interpreters.interpreter_for(other)
        assert chosen == interpreters.Interpreter(sys.executable, False)
        assert interpreters.interpreter_for(own).exact
    finally:
        interpreters.interpreter_for.cache_clear()


def test_the_service_warns_when_a_runtime_is_substituted(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambdalite.functions.service import FunctionService

    monkeypatch.setattr(
        "lambdalite.functions.service.interpreter_for",
        lambda runtime: interpreters.Interpreter("/usr/bin/python-x", False),
    )
    service = FunctionService.__new__(FunctionService)
    warning = service.runtime_warning("python3.9")
    assert warning is not None
    assert "python3.9 is not installed here" in warning and "/usr/bin/python-x" in warning

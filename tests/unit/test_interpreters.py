from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from lambdalite.sandbox import interpreters

OWN = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    interpreters.interpreter_for.cache_clear()
    interpreters.installed.cache_clear()
    yield
    interpreters.interpreter_for.cache_clear()
    interpreters.installed.cache_clear()


def only(monkeypatch: pytest.MonkeyPatch, *versions: str) -> None:
    """Pretend that, besides the server's own, only these interpreters are installed."""
    monkeypatch.setattr(
        interpreters,
        "_candidates",
        lambda runtime, version: [f"/fake/python{version}"] if version in versions else [],
    )
    monkeypatch.setattr(interpreters, "_reports_version", lambda path, version: True)


def test_a_missing_runtime_falls_back_to_the_servers_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    only(monkeypatch)
    other = "python3.9" if OWN != "3.9" else "python3.10"
    chosen = interpreters.interpreter_for(other)
    assert chosen == interpreters.Interpreter(sys.executable, False, OWN)
    assert interpreters.interpreter_for(f"python{OWN}").exact


def test_a_missing_runtime_runs_on_the_nearest_installed_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    only(monkeypatch, "3.13", "3.9")
    newest = interpreters.interpreter_for("python3.14")
    # The server's own Python is always there (and is the one found on a 3.13 run).
    path = sys.executable if OWN == "3.13" else "/fake/python3.13"
    assert newest == interpreters.Interpreter(path, False, "3.13")
    if OWN == "3.11":  # 3.12 is as near to 3.11 (ours) as to 3.13: the newer one wins
        assert interpreters.interpreter_for("python3.12").version == "3.13"
        assert interpreters.interpreter_for("python3.10").version == "3.11"


def test_the_fallback_warning_names_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "3.13")
    warning = interpreters.fallback_warning("python3.14")
    path = sys.executable if OWN == "3.13" else "/fake/python3.13"
    assert warning == f"python3.14 is not installed here; running it on python3.13 ({path})"
    assert interpreters.fallback_warning("python3.13") is None


def test_python314_is_a_supported_runtime() -> None:
    from lambdalite.functions import rules

    rules.check_runtime("python3.14")  # current public templates say it

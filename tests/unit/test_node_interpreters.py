from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambdalite.functions import rules
from lambdalite.sandbox import interpreters, node_interpreters
from lambdalite.sandbox.logstream import runtime_version_name
from lambdalite.sandbox.runtime_api.node import node_flags, node_path


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    node_interpreters.installed.cache_clear()
    node_interpreters.node_for.cache_clear()
    yield
    node_interpreters.installed.cache_clear()
    node_interpreters.node_for.cache_clear()


def only(monkeypatch: pytest.MonkeyPatch, *versions: str) -> None:
    """Pretend these Node.js versions (and no others) are installed."""
    paths = {f"/fake/node{v.split('.')[0]}/bin/node": v for v in versions}
    monkeypatch.setattr(node_interpreters, "_candidates", lambda: list(paths))
    monkeypatch.setattr(node_interpreters, "_version_of", paths.get)


def test_the_runtimes_own_major_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "20.20.2", "22.3.0")
    node = node_interpreters.node_for("nodejs22.x")
    assert node == node_interpreters.Node("/fake/node22/bin/node", "22.3.0", True)
    assert interpreters.fallback_warning("nodejs22.x") is None


def test_a_missing_major_runs_on_the_nearest_newer_first(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "20.20.2", "24.1.0")
    # 22 is as near to 20 as to 24: the newer one wins, as for Python.
    assert node_interpreters.node_for("nodejs22.x") == node_interpreters.Node(
        "/fake/node24/bin/node", "24.1.0", False
    )
    assert node_interpreters.node_for("nodejs20.x").exact  # type: ignore[union-attr]


def test_the_fallback_warning_names_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "20.20.2")
    assert interpreters.fallback_warning("nodejs24.x") == (
        "nodejs24.x is not installed here; running it on Node.js 20.20.2 (/fake/node20/bin/node)"
    )
    assert interpreters.fallback_warning("provided.al2023") is None


def test_no_node_at_all_is_said_once_and_not_described(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch)
    assert node_interpreters.node_for("nodejs20.x") is None
    assert "no Node.js is installed here" in str(interpreters.fallback_warning("nodejs20.x"))
    assert node_interpreters.describe() == {}


def test_node_runtimes_are_accepted() -> None:
    for runtime in ("nodejs20.x", "nodejs22.x", "nodejs24.x"):
        rules.check_runtime(runtime)
    assert rules.check_handler("index.handler", "nodejs20.x") == "index.handler"
    with pytest.raises(Exception, match="Handler is required"):
        rules.check_handler(None, "nodejs20.x")
    assert not rules.snap_start_runtime("nodejs22.x")


def test_init_start_names_node_versions_as_aws() -> None:
    assert runtime_version_name("nodejs20.x") == "nodejs:20.v1"
    assert runtime_version_name("python3.12") == "python:3.12.v1"


def test_no_v8_flags_that_would_cost_the_code_cache() -> None:
    assert node_flags() == ["--max-http-header-size=81920"]


def test_node_path_puts_layers_before_the_code() -> None:
    assert node_path("/code", ("/l2", "/l1"), 20) == (
        "/l2/nodejs/node20/node_modules:/l1/nodejs/node20/node_modules:"
        "/l2/nodejs/node_modules:/l1/nodejs/node_modules:/code"
    )

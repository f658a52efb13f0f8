"""The pytest plugin is what the package declares under `pytest11`, and loading it costs a
pytest run that does not use it nothing: no server, no server modules imported."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import EntryPoint, PackageNotFoundError, distribution
from pathlib import Path

import lambdalite.pytest_plugin

REPO = Path(__file__).resolve().parents[2]


def _declared() -> list[EntryPoint]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    table = project["entry-points"]["pytest11"]
    return [EntryPoint(name, value, "pytest11") for name, value in table.items()]


def test_the_package_declares_the_plugin_as_a_pytest11_entry_point() -> None:
    [entry] = _declared()
    assert entry.name == "lambdalite"
    assert entry.load() is lambdalite.pytest_plugin


def test_an_installed_lambdalite_registers_what_the_source_declares() -> None:
    try:
        installed = distribution("lambdalite").entry_points.select(group="pytest11")
    except PackageNotFoundError:
        return
    # An editable install made before the entry point existed has none (the repository's
    # conftest.py loads the plugin then); any it has must be the declared one.
    assert {(e.name, e.value) for e in installed} <= {(e.name, e.value) for e in _declared()}


PLAIN_TEST = """
import sys
import pytest

@pytest.mark.lambdalite(template="nowhere.yaml")  # a marker alone starts nothing
def test_plain(request):
    assert request.config.pluginmanager.has_plugin("lambdalite.pytest_plugin")
    loaded = sorted(m for m in sys.modules if m.startswith("lambdalite"))
    assert loaded == ["lambdalite", "lambdalite.pytest_plugin"], loaded
    for heavy in ("uvicorn", "boto3", "botocore", "httpx"):
        assert heavy not in sys.modules, heavy
"""


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # loaded once, by -p
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "lambdalite.pytest_plugin", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_run_that_does_not_use_the_fixtures_starts_and_imports_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(PLAIN_TEST)
    result = _pytest(tmp_path, "-q", "--strict-markers", "test_plain.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_fixtures_and_options_are_offered(tmp_path: Path) -> None:
    fixtures, options = _pytest(tmp_path, "--fixtures"), _pytest(tmp_path, "--help")
    assert "lambdalite_app [module scope]" in fixtures.stdout
    assert "lambdalite_fresh_app" in fixtures.stdout
    for offered in ("--lambdalite-template", "--lambdalite-mode", "lambdalite_template"):
        assert offered in options.stdout


def test_a_missing_template_is_a_usage_error_naming_the_ways_to_give_one(tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text("def test_app(lambdalite_app):\n    pass\n")
    result = _pytest(tmp_path, "-q", "test_app.py")
    assert result.returncode != 0
    assert "lambdalite: no template" in result.stdout + result.stderr

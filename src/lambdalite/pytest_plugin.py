"""The pytest plugin (entry point `pytest11: lambdalite`): fixtures that deploy a SAM or
CloudFormation template into a lambdalite server on a virtual clock, for a user's own
tests of retries, DLQs, destinations and mappings that run in milliseconds.

    @pytest.mark.lambdalite(template="../template.yaml")   # or pytestmark = ...
    def test_order(lambdalite_app):
        lambdalite_app.send("Orders", {"id": 1})
        lambdalite_app.advance(600)                       # retries, schedules: all run

Fixtures: `lambdalite_app` (one server per test module) and `lambdalite_fresh_app` (one
per test). Which template: the `lambdalite` marker's `template` (relative to the test
file), else `--lambdalite-template`, else the `lambdalite_template` ini option (relative
to the ini file), else the nearest `template.yaml` above the test file. How to run it:
`mode` "inprocess" (default: uvicorn in a thread of the test process) or "subprocess"
(`lambdalite up`), from `--lambdalite-mode`, else the marker, else `lambdalite_mode`.

Loading the plugin costs a pytest run nothing: no fixture is autouse, and the server's
modules are imported only when a test asks for one of these fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lambdalite.testing.app import DeployedApp

MODES = ("inprocess", "subprocess")
_TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
_MARKER = (
    "lambdalite(template=None, mode=None, stack_name=None, parameters=None, extensions=False): "
    "the template (relative to the test file) and options of the lambdalite_app fixtures"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lambdalite", "lambdalite test harness")
    group.addoption("--lambdalite-template", default=None, help="Template the fixtures deploy.")
    group.addoption(
        "--lambdalite-mode",
        default=None,
        choices=MODES,
        help="Run the server in-process or as a subprocess.",
    )
    parser.addini("lambdalite_template", "Template the lambdalite fixtures deploy.", default="")
    parser.addini("lambdalite_mode", "inprocess (default) or subprocess.", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)


@pytest.fixture(scope="module")
def lambdalite_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DeployedApp]:
    """The module's template deployed into a lambdalite on a virtual clock, shared by the
    module's tests (state carries over between them; `lambdalite_fresh_app` does not)."""
    yield from _serve(request, tmp_path_factory)


@pytest.fixture
def lambdalite_fresh_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DeployedApp]:
    """Like `lambdalite_app`, but a new server and deploy for this test alone."""
    yield from _serve(request, tmp_path_factory)


def _serve(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DeployedApp]:
    from lambdalite.testing.app import DeployedApp
    from lambdalite.testing.runners import RUNNERS, Launch

    options = _options(request)
    template = _template(request, options)
    launch = Launch(
        template=template,
        stack_name=str(options.get("stack_name") or _stack_name(template)),
        workdir=tmp_path_factory.mktemp("lambdalite"),
        parameters={str(k): str(v) for k, v in (options.get("parameters") or {}).items()},
        extensions=bool(options.get("extensions", False)),
    )
    app = DeployedApp(RUNNERS[_mode(request, options)](launch), launch)
    try:
        yield app
    finally:
        app.close()


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("lambdalite")
    if marker is None:
        return {}
    options = dict(marker.kwargs)
    if marker.args:
        options.setdefault("template", marker.args[0])
    return options


def _template(request: pytest.FixtureRequest, options: dict[str, Any]) -> Path:
    config = request.config
    here = Path(str(request.path)).parent
    candidates = [
        (options.get("template"), here),
        (config.getoption("--lambdalite-template"), Path.cwd()),
        (config.getini("lambdalite_template"), config.inipath.parent if config.inipath else here),
    ]
    for value, base in candidates:
        if value:
            path = (base / str(value)).resolve()
            if not path.is_file():
                raise pytest.UsageError(f"lambdalite: no template at {path}")
            return path
    for directory in (here, *here.parents):
        for name in _TEMPLATE_NAMES:
            if (directory / name).is_file():
                return directory / name
        if directory == config.rootpath:
            break
    raise pytest.UsageError(
        "lambdalite: no template: give @pytest.mark.lambdalite(template=...), "
        "--lambdalite-template or the lambdalite_template ini option"
    )


def _mode(request: pytest.FixtureRequest, options: dict[str, Any]) -> str:
    config = request.config
    mode = config.getoption("--lambdalite-mode") or options.get("mode")
    mode = mode or config.getini("lambdalite_mode") or "inprocess"
    if mode not in MODES:
        raise pytest.UsageError(f"lambdalite: mode must be one of {MODES}, not {mode!r}")
    return str(mode)


def _stack_name(template: Path) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in template.parent.name)
    return (cleaned.strip("-") or "stack")[:128]

"""What an environment's variables and importable packages are made of (issue 14.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdalite.sandbox.envvars import build_env, endpoint_url, sdk_defaults
from lambdalite.sandbox.runtime_packages import PYCACHE_MIRROR, _build, admits
from lambdalite.sandbox.types import EnvironmentSpec


def spec(**variables: str) -> EnvironmentSpec:
    return EnvironmentSpec(
        key="k",
        function_name="fn",
        function_version="$LATEST",
        function_arn="arn:aws:lambda:eu-west-1:000000000000:function:fn",
        handler="app.handler",
        runtime="python3.12",
        interpreter="/usr/bin/python3.12",
        code_dir=Path("/code"),
        environment=variables,
        region="eu-west-1",
    )


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:4566"),
        ("0.0.0.0", "http://127.0.0.1:4566"),
        ("", "http://127.0.0.1:4566"),
        ("localhost", "http://localhost:4566"),
        ("::", "http://[::1]:4566"),
        ("::1", "http://[::1]:4566"),
        ("10.1.2.3", "http://10.1.2.3:4566"),
    ],
)
def test_endpoint_url_is_reachable_from_this_machine(host: str, url: str) -> None:
    assert endpoint_url(host, 4566) == url


def test_sdk_defaults_point_at_the_server_and_reserved_values_fill_the_rest() -> None:
    env = build_env(spec(), "stream", {}, sdk_defaults("0.0.0.0", 4577))
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4577"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]


def test_the_functions_own_variables_win_over_the_sdk_defaults() -> None:
    mine = spec(AWS_ENDPOINT_URL="http://elsewhere:1", LANG="C")
    env = build_env(mine, "stream", {}, sdk_defaults("127.0.0.1", 4566))
    assert env["AWS_ENDPOINT_URL"] == "http://elsewhere:1"
    assert env["LANG"] == "C"


def test_reserved_variables_win_over_the_functions() -> None:
    env = build_env(spec(AWS_DEFAULT_REGION="ap-south-1"), "stream", {}, {})
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1"


@pytest.mark.parametrize(
    ("spec_text", "version", "ok"),
    [
        (">= 3.10", (3, 9), False),
        (">= 3.10", (3, 10), True),
        (">=3.9", (3, 13), True),
        ("!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", (3, 9), True),
        ("!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", (3, 1), False),
        (">=3.8,<3.12", (3, 12), False),
        (">3.9", (3, 10), True),
        ("==3.11.*", (3, 11), True),
        ("~=3.9", (3, 13), True),
        ("~=3.9", (4, 0), False),
        ("", (3, 9), True),
        ("garbage", (3, 12), False),  # unreadable: not vendored (pip decides instead)
    ],
)
def test_requires_python_decides_whether_the_servers_sdk_is_copied(
    spec_text: str, version: tuple[int, int], ok: bool
) -> None:
    assert admits(spec_text, version) is ok


def test_a_directory_is_built_once_and_a_lost_race_keeps_the_winner(tmp_path: Path) -> None:
    calls: list[Path] = []

    def fill(target: Path) -> None:
        calls.append(target)
        target.mkdir()
        (target / "boto3.py").write_text(str(len(calls)))

    final = tmp_path / "vendored-x"
    assert _build(final, fill) == final
    assert (final / PYCACHE_MIRROR).is_dir()
    assert _build(final, fill) == final and len(calls) == 1  # reused

    def racing(target: Path) -> None:  # another server finishes first
        fill(target)
        fill(tmp_path / "elsewhere")
        (tmp_path / "elsewhere").rename(final2)

    final2 = tmp_path / "vendored-y"
    assert _build(final2, racing) == final2
    assert (final2 / "boto3.py").read_text() == "3"  # the winner's files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vendored-x", "vendored-y"]

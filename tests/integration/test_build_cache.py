"""The builder with a real pip: requirements installed once per (requirements, Python), a
change rebuilds, and failures are one clear line. pip reads only wheels made here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lambdalite.build import Builder, BuildError
from lambdalite.testing.wheels import make_wheel, offline_pip_env

RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture
def wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "wheels"
    make_wheel(directory, "tinydep", "1.0", "ANSWER = 'one'\n")
    make_wheel(directory, "tinydep", "2.0", "ANSWER = 'two'\n")
    make_wheel(directory, "otherdep", "1.0", "NAME = 'other'\n")
    for key, value in offline_pip_env(directory).items():
        monkeypatch.setenv(key, value)
    return directory


def code(tmp_path: Path, requirements: str | None) -> Path:
    directory = tmp_path / "fn"
    directory.mkdir(exist_ok=True)
    (directory / "app.py").write_text("def handler(e, c):\n    return 1\n")
    if requirements is not None:
        (directory / "requirements.txt").write_text(requirements)
    return directory


def answer(dependencies: Path, module: str = "tinydep", attr: str = "ANSWER") -> str:
    out = subprocess.run(
        [sys.executable, "-c", f"import {module}; print({module}.{attr})"],
        env={"PYTHONPATH": str(dependencies)},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_requirements_are_installed_once_and_reused(tmp_path: Path, wheels: Path) -> None:
    builder = Builder(tmp_path / "cache")
    lines: list[str] = []
    source = code(tmp_path, "tinydep==1.0\n# a comment\notherdep\n")
    first = builder.build("OrdersFunction", source, RUNTIME, lines.append)
    assert first.code_dir == source and not first.cached and first.dependencies is not None
    assert answer(first.dependencies) == "one"
    assert answer(first.dependencies, "otherdep", "NAME") == "other"
    assert lines[0] == "Building OrdersFunction: installing 2 requirements ..."
    assert not (source / "tinydep.py").exists()  # the code stays as it is, in place

    lines.clear()
    again = builder.build("OrdersFunction", source, RUNTIME, lines.append)
    assert again.cached and again.dependencies == first.dependencies and lines == []
    # Another function with the same requirements shares the build.
    assert builder.build("Other", source, RUNTIME).dependencies == first.dependencies


def test_changed_requirements_rebuild(tmp_path: Path, wheels: Path) -> None:
    builder = Builder(tmp_path / "cache")
    source = code(tmp_path, "tinydep==1.0\n")
    first = builder.build("f", source, RUNTIME)
    (source / "requirements.txt").write_text("tinydep==2.0\n")
    second = builder.build("f", source, RUNTIME)
    assert not second.cached and second.dependencies != first.dependencies
    assert second.dependencies is not None and answer(second.dependencies) == "two"


def test_no_requirements_means_nothing_to_install(tmp_path: Path) -> None:
    builder = Builder(tmp_path / "cache")
    assert builder.build("f", code(tmp_path, None), RUNTIME).dependencies is None
    assert builder.build("f", code(tmp_path, "# nothing\n\n"), RUNTIME).dependencies is None


def test_a_requirement_pip_cannot_satisfy_names_the_function_and_pips_reason(
    tmp_path: Path, wheels: Path
) -> None:
    builder = Builder(tmp_path / "cache")
    with pytest.raises(BuildError) as caught:
        builder.build("OrdersFunction", code(tmp_path, "nosuchpackage==9.9\n"), RUNTIME)
    message = str(caught.value)
    assert message.startswith("Building OrdersFunction: pip could not install ")
    assert "nosuchpackage" in message and "ERROR:" in message
    # Nothing half-built is left to be mistaken for a build.
    assert [p.name for p in (tmp_path / "cache" / "builds").iterdir()] == []


def test_a_code_uri_that_does_not_exist_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"^Building f: CodeUri '.*/missing' is not a directory$"):
        Builder(tmp_path / "cache").build("f", tmp_path / "missing", RUNTIME)

"""aws-lambda-powertools shipped the way users ship it: `pip install --target` into the code
directory, zipped with the handler. Installed once per test session (the `powertools`
fixture in conftest.py), skipped with a reason if PyPI cannot be reached."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


def install(target: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target),
         "aws-lambda-powertools"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(
            f"cannot install aws-lambda-powertools (PyPI unreachable?): {done.stderr[-300:]}"
        )
    return target


def package(code_dir: Path, source: str) -> bytes:
    """A deployment zip: the handler as app.py plus everything installed in `code_dir`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", source)
        for path in sorted(code_dir.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(code_dir).as_posix())
    return buffer.getvalue()

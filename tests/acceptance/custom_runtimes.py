"""Custom runtime packages for the acceptance tests and the bench: a compiled C bootstrap,
a bash one, and AWS's Python runtime interface client (awslambdaric) behind a bootstrap."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runtime_api"

RIC_BOOTSTRAP = """#!/bin/sh
# As a container image's entrypoint does: start AWS's runtime interface client.
export PYTHONPATH="$LAMBDA_TASK_ROOT"
exec python3 -m awslambdaric "$_HANDLER"
"""


def build_c(out: Path) -> Path | None:
    """The C bootstrap, statically linked; None without gcc."""
    if shutil.which("gcc") is None:
        return None
    target = out / "bootstrap"
    subprocess.run(
        ["gcc", "-O2", "-static", "-o", str(target), str(FIXTURES / "bootstrap.c")],
        check=True,
        capture_output=True,
    )
    return target


def package(files: dict[str, bytes | Path], executable: tuple[str, ...] = ("bootstrap",)) -> bytes:
    """A deployment zip that keeps the bootstrap's execute bits, as `zip` does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            data = content.read_bytes() if isinstance(content, Path) else content
            info = zipfile.ZipInfo(name)
            mode = 0o755 if name in executable else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def package_dir(root: Path, extra: dict[str, bytes]) -> bytes:
    files: dict[str, bytes | Path] = {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    files.update(extra)
    return package(files)


def install_ric(target: Path) -> Path | None:
    """awslambdaric (a wheel with a C extension) installed as users ship it; None if pip
    cannot get it."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "awslambdaric",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return target if done.returncode == 0 else None

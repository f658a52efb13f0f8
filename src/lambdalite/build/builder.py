"""The build cache: a function's requirements, installed once per (requirements, Python).

A build directory is keyed by a hash of the requirements text, the interpreter's full
version and its platform, so functions with the same requirements share one, a second build
is a lookup, and a changed requirements.txt (or runtime) builds anew. A build is made in a
staging directory and renamed into place: an interrupted pip leaves nothing that looks
finished.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lambdalite.build.pip import PipFailed, install
from lambdalite.sandbox.interpreters import interpreter_for

REQUIREMENTS = "requirements.txt"
MARKER = ".lambdalite-build.json"  # written last: a directory without it is not a build

Progress = Callable[[str], None]


class BuildError(Exception):
    """A function could not be built; the message names the function and the cause."""


@dataclass(frozen=True)
class BuildResult:
    code_dir: Path  # the function's own code (its CodeUri), run in place
    dependencies: Path | None  # installed requirements, on the import path after the code
    cached: bool  # True when the dependencies came from the cache


class Builder:
    def __init__(self, cache_dir: Path) -> None:
        """`cache_dir`: the machine's cache (Settings.cache_dir); builds and pip's own
        download cache live under it, so every data dir shares them."""
        self.builds = cache_dir / "builds"
        self.pip_cache = cache_dir / "pip"

    def build(
        self, name: str, code_uri: Path, runtime: str, progress: Progress | None = None
    ) -> BuildResult:
        """Blocking (pip may take a while): call it from a thread in async code."""
        say = progress or (lambda line: None)
        code_dir = Path(code_uri).expanduser()
        if not code_dir.is_dir():
            raise BuildError(f"Building {name}: CodeUri {str(code_uri)!r} is not a directory")
        code_dir = code_dir.resolve()
        requirements = code_dir / REQUIREMENTS
        if not requirements.is_file():
            return BuildResult(code_dir, None, cached=True)
        text = requirements.read_text(encoding="utf-8", errors="replace")
        if not count_requirements(text):
            return BuildResult(code_dir, None, cached=True)
        interpreter = interpreter_for(runtime).path
        target = self.builds / cache_key(text, interpreter)
        if (target / MARKER).is_file():
            return BuildResult(code_dir, target, cached=True)
        count = count_requirements(text)
        say(f"Building {name}: installing {count} requirement{'s' * (count != 1)} ...")
        started = time.monotonic()
        self._install(name, interpreter, requirements, target, code_dir)
        say(f"Building {name}: done in {time.monotonic() - started:.1f} s")
        return BuildResult(code_dir, target, cached=False)

    def _install(
        self, name: str, interpreter: str, requirements: Path, target: Path, code_dir: Path
    ) -> None:
        self.builds.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.builds))
        try:
            install(interpreter, requirements, staging, self.pip_cache, code_dir)
        except PipFailed as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BuildError(
                f"Building {name}: pip could not install {requirements}: {exc}"
            ) from None
        meta = {"requirements": requirements.read_text(), "interpreter": interpreter}
        (staging / MARKER).write_text(json.dumps(meta))
        try:
            os.rename(staging, target)
        except OSError:  # built meanwhile by another process: theirs is as good
            shutil.rmtree(staging, ignore_errors=True)
            if not (target / MARKER).is_file():
                raise


def count_requirements(text: str) -> int:
    """Lines that name something to install (not comments, blanks or pip options)."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return sum(1 for line in lines if line and not line.startswith("-"))


def cache_key(requirements: str, interpreter: str) -> str:
    facts = "\0".join((requirements, *_identity(interpreter)))
    return hashlib.sha256(facts.encode()).hexdigest()[:32]


@functools.cache
def _identity(interpreter: str) -> tuple[str, ...]:
    """The interpreter's full version, ABI tag and platform: what wheels are chosen by."""
    if interpreter == sys.executable:  # the server's own: no process to start
        return (sys.version.split()[0], sys.implementation.cache_tag or "", _platform())
    probe = (
        "import sys, sysconfig; "
        "print(sys.version.split()[0], sys.implementation.cache_tag, sysconfig.get_platform())"
    )
    try:
        out = subprocess.run(
            [interpreter, "-c", probe], capture_output=True, text=True, timeout=30, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = [interpreter]
    return tuple(out)


def _platform() -> str:
    return sysconfig.get_platform()

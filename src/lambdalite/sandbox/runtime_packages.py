"""The packages every environment can import besides its code: boto3 and its dependencies.

AWS's Python runtimes ship boto3. Here each interpreter gets a directory holding boto3,
botocore, s3transfer, jmespath, python-dateutil, six and urllib3 (all pure Python), which
its fork server appends to a sys.path that otherwise holds only the standard library: the
server's own packages stay out of reach of function code.

The directory is built once per machine and reused (under the cache dir, not the data dir,
so a new data dir costs nothing):

- copied from the server's own installation when every one of those distributions admits
  the interpreter's version (its Requires-Python): one shared directory, keyed by their
  versions, since the same files serve every interpreter (byte code is tagged per version);
- otherwise installed by that interpreter's pip (`pip install --target`), which picks the
  newest releases that support it (python3.9: boto3 dropped it). Without pip or an index
  the runtime has no boto3, and a warning says so.

Nothing is imported at environment start: the SDK is only made importable.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.metadata
import logging
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SDK_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)
# Byte code compiled under a `sys.pycache_prefix` (environments running local code use a
# private one, runtime/isolation.py) is kept here, inside the directory, and shared.
PYCACHE_MIRROR = ".pycache-prefix"
_PIP_TIMEOUT_S = 600.0
_VERSION_TIMEOUT_S = 30.0

Version = tuple[int, int]


class RuntimePackages:
    """Finds, or builds on first use, the packages directory of each interpreter."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: dict[str, Path | None] = {}

    async def directory_for(self, interpreter: str) -> Path | None:
        """The interpreter's packages directory (None when none could be made). Blocking
        work (a copy, a pip run) happens on a thread, once per interpreter and process."""
        if interpreter not in self._dirs:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(None, self._prepare, interpreter)
            self._dirs.setdefault(interpreter, found)
        return self._dirs[interpreter]

    def _prepare(self, interpreter: str) -> Path | None:
        try:
            version = interpreter_version(interpreter)
            vendored = _vendorable(version)
            if vendored is not None:
                return _build(
                    self.root / f"vendored-{_fingerprint(vendored)}",
                    functools.partial(_copy, vendored),
                )
            return _build(
                self.root / f"pip-{version[0]}.{version[1]}", functools.partial(_pip, interpreter)
            )
        except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as e:
            log.warning("no boto3 for functions on %s: %s", interpreter, e)
            return None


def interpreter_version(interpreter: str) -> Version:
    if interpreter == sys.executable:
        return sys.version_info[:2]
    out = subprocess.run(
        [interpreter, "-I", "-S", "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=_VERSION_TIMEOUT_S,
        check=True,
    )
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _vendorable(version: Version) -> list[importlib.metadata.Distribution] | None:
    """The server's own SDK distributions, if all are installed and admit `version`."""
    dists = []
    for name in SDK_DISTRIBUTIONS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            return None
        meta = dist.metadata
        requires = meta["Requires-Python"] if "Requires-Python" in meta else ""
        if not admits(requires, version):
            return None
        dists.append(dist)
    return dists


_CLAUSE = re.compile(r"^\s*(~=|===|==|!=|<=|>=|<|>)\s*([0-9][0-9.]*)(\.\*)?\s*$")


def admits(requires_python: str, version: Version) -> bool:
    """Whether a Requires-Python specifier admits a major.minor version. Versions are
    compared on their first two numbers (a micro release is unknown here); a clause that
    cannot be read admits nothing, which falls back to pip."""
    for clause in filter(None, (c.strip() for c in requires_python.split(","))):
        match = _CLAUSE.match(clause)
        if match is None:
            return False
        op, text, wildcard = match.groups()
        numbers = tuple(int(n) for n in text.split(".") if n)
        bound = (numbers + (0, 0))[:2]
        if wildcard or op in ("==", "===", "!="):
            same = version[: len(numbers)] == numbers[:2] if wildcard else version == bound
            ok = same if op != "!=" else not same
        elif op == "~=":
            ok = version >= bound and version[:1] == numbers[:1]
        else:
            ok = {
                ">=": version >= bound,
                ">": version > bound,
                "<=": version <= bound,
                "<": version < bound,
            }[op]
        if not ok:
            return False
    return True


def _fingerprint(dists: list[importlib.metadata.Distribution]) -> str:
    names = ",".join(f"{d.metadata['Name']}=={d.version}" for d in dists)
    return hashlib.sha256(names.encode()).hexdigest()[:12]


def _build(final: Path, fill: Callable[[Path], None]) -> Path:
    """Fill a scratch directory, then rename it into place: concurrent servers building the
    same directory each finish, and one rename wins."""
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = final.with_name(f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    try:
        fill(scratch)
        (scratch / PYCACHE_MIRROR).mkdir(exist_ok=True)
        try:
            scratch.rename(final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log.info("runtime packages ready in %s", final)
    return final


def _copy(dists: list[importlib.metadata.Distribution], target: Path) -> None:
    """Copies each distribution's top-level files (and its .dist-info, so that
    importlib.metadata finds it) from the server's site-packages."""
    target.mkdir(parents=True)
    for dist in dists:
        tops = {f.parts[0] for f in dist.files or () if f.parts and f.parts[0] != ".."}
        base = Path(str(dist.locate_file("")))
        for top in sorted(tops - {"__pycache__"}):
            source = base / top
            if source.is_dir():
                shutil.copytree(
                    source,
                    target / top,
                    ignore=shutil.ignore_patterns("__pycache__"),
                    dirs_exist_ok=True,
                )
            elif source.is_file():
                shutil.copy2(source, target / top)


def _pip(interpreter: str, target: Path) -> None:
    """`pip install --target` with the interpreter itself: releases that support it."""
    log.info("installing boto3 for %s (once; later servers reuse it)", interpreter)
    command = [interpreter, "-m", "pip", "install", "--quiet", "--no-input"]
    command += ["--disable-pip-version-check", "--target", str(target), "boto3"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"pip install boto3 failed: {' | '.join(tail)}")

"""Deployment packages: content-addressed, extracted once, modes and symlinks kept.

`zipfile.extractall` drops file modes (an executable `bootstrap` loses +x) and turns
symlinks into plain files; AWS keeps both. So entries are extracted by hand: regular files
with their modes first, symlinks last, and nothing may land or point outside the code
directory.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from lambdalite.errors import InvalidParameterValueException
from lambdalite.model.function import Code

MAX_ZIPPED_BYTES = 52_428_800  # 50 MB direct upload
MAX_UNZIPPED_BYTES = 262_144_000  # 250 MB
_UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def store_zip(zip_bytes: bytes, code_root: Path) -> Code:
    """Validate and extract an uploaded zip under `code_root`, keyed by its hash."""
    if len(zip_bytes) > MAX_ZIPPED_BYTES:
        raise InvalidParameterValueException(
            f"Zipped size must be smaller than {MAX_ZIPPED_BYTES} bytes"
        )
    digest = hashlib.sha256(zip_bytes).hexdigest()
    code_root = code_root.resolve()  # environments chdir into it: it must not be relative
    target = code_root / digest
    zip_path = code_root / f"{digest}.zip"
    if not target.is_dir():
        code_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=code_root))
        try:
            _extract(zip_bytes, staging)
            zip_path.write_bytes(zip_bytes)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return Code(
        sha256=code_sha256(zip_bytes),
        size=len(zip_bytes),
        directory=str(target),
        zip_path=str(zip_path),
    )


def local_directory(path: str) -> Code:
    """Non-AWS: run straight from a directory; the hash covers names, sizes and mtimes."""
    root = Path(path)
    if not root.is_absolute() or not root.is_dir():
        raise InvalidParameterValueException(
            f"Local code directory {path!r} must be an absolute path to a directory."
        )
    digest = hashlib.sha256()
    size = 0
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        info = file.stat()
        size += info.st_size
        digest.update(f"{file.relative_to(root)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return Code(
        sha256=base64.b64encode(digest.digest()).decode(),
        size=size,
        directory=str(root),
        local=True,
    )


def _extract(zip_bytes: bytes, dest: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidParameterValueException(_UNZIP_FAILED) from exc
    if sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
        )
    links: list[tuple[Path, str]] = []
    try:
        for entry in entries:
            target = _safe_target(dest, entry.filename)
            mode = entry.external_attr >> 16
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif stat.S_ISLNK(mode):
                links.append((target, archive.read(entry).decode()))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(entry) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                # Keep the execute bits; zips made on Windows carry no mode at all.
                os.chmod(target, (mode & 0o777) | 0o444 if mode & 0o777 else 0o644)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, UnicodeDecodeError) as exc:
        raise InvalidParameterValueException(_UNZIP_FAILED) from exc
    for link, pointee in links:
        resolved = (link.parent / pointee).resolve()
        if not resolved.is_relative_to(dest.resolve()):
            raise InvalidParameterValueException(_UNZIP_FAILED)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(pointee, link)


def _safe_target(dest: Path, name: str) -> Path:
    """Reject absolute names and `..` components (zip-slip)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or parts[0] == "/" or ".." in parts or ":" in parts[0]:
        raise InvalidParameterValueException(_UNZIP_FAILED)
    return dest.joinpath(*parts)

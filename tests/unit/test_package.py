from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from lambdalite.errors import InvalidParameterValueException
from lambdalite.functions.package import store_zip


def make_zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def test_modes_and_symlinks_survive(tmp_path: Path) -> None:
    data = make_zip(
        [
            ("bootstrap", b"#!/bin/sh\n", stat.S_IFREG | 0o755),
            ("lib/real.py", b"X = 1\n", stat.S_IFREG | 0o644),
            ("link.py", b"lib/real.py", stat.S_IFLNK | 0o777),
        ]
    )
    code = store_zip(data, tmp_path)
    root = Path(code.directory)
    assert os.access(root / "bootstrap", os.X_OK)
    assert (root / "link.py").is_symlink()
    assert (root / "link.py").read_text() == "X = 1\n"
    assert code.size == len(data)
    assert store_zip(data, tmp_path).directory == code.directory  # content-addressed


@pytest.mark.parametrize("name", ["../evil.py", "/abs.py", "a/../../evil.py"])
def test_entries_escaping_the_code_directory_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidParameterValueException) as raised:
        store_zip(make_zip([(name, b"x", stat.S_IFREG | 0o644)]), tmp_path / "code")
    assert "Could not unzip uploaded file" in raised.value.message
    assert not (tmp_path / "evil.py").exists()


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    data = make_zip([("out", b"../../etc/passwd", stat.S_IFLNK | 0o777)])
    with pytest.raises(InvalidParameterValueException):
        store_zip(data, tmp_path / "code")


def test_corrupt_zip(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValueException) as raised:
        store_zip(b"PK\x03\x04 not really a zip", tmp_path)
    assert raised.value.status_code == 400

"""Which extensions a function has: every file of its layers' extensions/ directories, the
merge's winner (the last layer, listed first in layer_dirs) taking a name both hold."""

from __future__ import annotations

from pathlib import Path

from lambdalite.sandbox.extensions.discover import find_extensions


def test_layers_merge_as_into_opt(tmp_path: Path) -> None:
    first, last, bare = tmp_path / "first", tmp_path / "last", tmp_path / "bare"
    for layer, names in ((first, ("shared", "only-first")), (last, ("shared", "a-last"))):
        (layer / "extensions").mkdir(parents=True)
        for name in names:
            (layer / "extensions" / name).write_text(layer.name)
    (first / "extensions" / "subdir").mkdir()  # not an executable
    bare.mkdir()
    found = find_extensions([str(last), str(first), str(bare), str(tmp_path / "missing")])
    assert [name for name, _ in found] == ["a-last", "only-first", "shared"]
    assert dict(found)["shared"].read_text() == "last"


def test_no_layers_no_extensions() -> None:
    assert find_extensions([]) == []

"""Which way the arrows point (DESIGN.md), held by tests: the import graph, read from the
source with `ast` (every import, including ones inside functions and TYPE_CHECKING blocks)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lambdalite

PACKAGE = Path(lambdalite.__file__).parent
REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module `path` imports; `from a import b` counts as `a` and as `a.b`, since b
    may be a module. Relative imports are resolved against `package`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def importers_of(directory: Path, package: str, forbidden: str) -> dict[str, set[str]]:
    """Files under `directory` (the package `package`) that import `forbidden` or below it."""
    offenders: dict[str, set[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        inner = path.parent.relative_to(directory).parts
        modules = imported_modules(path, ".".join([package, *inner]))
        bad = {m for m in modules if m == forbidden or m.startswith(forbidden + ".")}
        if bad:
            offenders[str(path.relative_to(directory))] = bad
    return offenders


@pytest.mark.parametrize(
    ("importer", "imported"), [("functions", "invoke"), ("invoke", "functions")]
)
def test_functions_and_invoke_do_not_import_each_other(importer: str, imported: str) -> None:
    offenders = importers_of(PACKAGE / importer, f"lambdalite.{importer}", f"lambdalite.{imported}")
    assert offenders == {}


def test_bench_does_not_import_the_tests() -> None:
    assert importers_of(REPO / "bench", "bench", "tests") == {}


def test_the_check_sees_absolute_relative_and_nested_imports(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from lambdalite import invoke\n")
    (tmp_path / "b.py").write_text("from ..invoke.invoker import Invoker\n")
    (tmp_path / "c.py").write_text("def f() -> None:\n    import lambdalite.invoke.resolve\n")
    (tmp_path / "d.py").write_text("from lambdalite.invoker_like import x\n")
    offenders = importers_of(tmp_path, "lambdalite.functions", "lambdalite.invoke")
    assert sorted(offenders) == ["a.py", "b.py", "c.py"]

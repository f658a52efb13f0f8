"""Which way the arrows point (DESIGN.md), held by tests: the import graph, read from the
source with `ast` (every import, including ones inside functions and TYPE_CHECKING blocks)."""

from __future__ import annotations

import ast
import re
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


# The storage seam: only the per-dialect store modules know the database; the composition
# root (platform.py) alone picks the backend.
DIALECTS = PACKAGE / "store" / "sqlite"
COMPOSITION_ROOT = PACKAGE / "platform.py"
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b"
)


def _outside_the_dialects() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if DIALECTS not in path.parents and path != COMPOSITION_ROOT
    ]


@pytest.mark.parametrize("forbidden", ["sqlite3", "lambdalite.store.sqlite"])
def test_only_the_dialect_modules_touch_the_database(forbidden: str) -> None:
    offenders = {}
    for path in _outside_the_dialects():
        package = ".".join(path.parent.relative_to(PACKAGE.parent).parts)
        bad = {
            m
            for m in imported_modules(path, package)
            if m == forbidden or m.startswith(forbidden + ".")
        }
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_no_sql_outside_the_dialect_modules() -> None:
    offenders = []
    for path in _outside_the_dialects():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL.search(node.value) and not _is_docstring(node, path):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def _is_docstring(node: ast.Constant, path: Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    for owner in ast.walk(tree):
        if isinstance(owner, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = owner.body
            if body and isinstance(body[0], ast.Expr) and body[0].value is node:
                return True
    return False


def test_the_sql_check_sees_sql() -> None:
    assert SQL.search("SELECT id FROM t WHERE x = ?")
    assert SQL.search("INSERT OR IGNORE INTO t VALUES (1)")
    assert SQL.search("UPDATE async_events SET state = 'done'")
    assert not SQL.search("Select the function's version from the list")

"""House rule (STYLE R2): no module grows past 800 lines; split by concept instead."""

from __future__ import annotations

from pathlib import Path

import lambdalite

LIMIT = 800


def test_no_module_passes_the_size_limit() -> None:
    root = Path(lambdalite.__file__).parent
    too_big = {
        str(p.relative_to(root)): n
        for p in root.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > LIMIT
    }
    assert too_big == {}


def test_runtime_never_imports_the_server_side() -> None:
    root = Path(lambdalite.__file__).parent / "runtime"
    offenders = [
        p.name
        for p in root.glob("*.py")
        if "from lambdalite" in (text := p.read_text())
        and any(
            f"lambdalite.{pkg}" in text
            for pkg in ("api", "sandbox", "store", "invoke", "functions", "platform")
        )
    ]
    assert offenders == []

"""The console's pages stay fast with 100,000 journalled invocations (bench/console.py gives
the figures; the bound here is generous, for a shared CI machine)."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.console import PAGES, prepare, timings
from lambdalite.testing import stop_server

ROWS = 100_000
BOUND_MS = 100.0  # the figure, measured p50 here is 3-16 ms


def test_pages_render_quickly_with_100k_invocations(tmp_path: Path) -> None:
    server = prepare(tmp_path, ROWS)
    try:
        for path in PAGES:
            spent = timings(server.endpoint, path, 5)
            assert statistics.median(spent) < BOUND_MS, (path, spent)
    finally:
        stop_server(server)

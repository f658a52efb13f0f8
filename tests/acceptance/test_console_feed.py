"""The live feed holds 1,000 events a second to a browser without growing the server's
memory (bench/live_feed.py gives the figures; the bounds here are generous, for a shared CI
machine): a fast SSE client gets every log line in coalesced messages, a client that never
reads is dropped events (and told how many), and the server's RSS stays flat."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.live_feed import LINES, prepare, run
from lambdalite.testing import stop_server

SECONDS = 10.0
RATE = 1000
GROWTH_BOUND_KIB = 20 * 1024  # measured: 5-8 MiB from the first sample, 2-3 after warm-up


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_a_thousand_events_a_second_with_a_slow_client(tmp_path: Path) -> None:
    server = prepare(tmp_path)
    try:
        result = run(server, SECONDS, RATE)
    finally:
        stop_server(server)
    assert result.rate > RATE / 2, f"the bench only drove {result.rate:.0f} lines/s"
    rss = [kib for _, kib in result.rss_kib]
    assert max(rss) - rss[0] < GROWTH_BOUND_KIB, result.rss_kib
    invocations = (result.lines_printed - 1) // LINES + 1
    assert result.events >= result.lines_printed + 3 * invocations  # + START, END, REPORT
    assert result.fast_dropped == 0
    assert result.mean_interval >= 0.25 * 0.9  # at most four messages a second
    assert result.max_per_second <= 5  # four, and one early by client-side jitter at most
    assert result.slow_dropped > 0

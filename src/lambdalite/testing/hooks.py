"""Waiting on a running server's background work instead of sleeping: the drain hook and
the virtual clock, as tests (ours and users') and benches call them.

- `drain(endpoint)` returns once everything due by the server's clock (async events and
  their retries, deliveries, schedules, retention) is settled, on any clock.
- `advance(endpoint, seconds)` moves a `--clock virtual` server's time forward; what falls
  due then runs on the next drain (or on its own, soon after).
- `fast_forward(endpoint, seconds)` moves it forward through every deadline on the way,
  draining at each, so a chain of retries or a schedule's runs all happen at their times.
"""

from __future__ import annotations

import httpx

DRAIN_TIMEOUT_S = 60.0


class DrainTimeout(AssertionError):
    """The server's background work was still not settled when the timeout passed."""


def drain(endpoint: str, timeout: float = DRAIN_TIMEOUT_S) -> float:
    """POST /_lambdalite/drain; returns the server's clock time once it answered drained."""
    response = httpx.post(
        f"{endpoint}/_lambdalite/drain", json={"timeout": timeout}, timeout=timeout + 30
    )
    if response.status_code == 408:
        raise DrainTimeout(f"not drained within {timeout} s: {response.text}")
    response.raise_for_status()
    return float(response.json()["now"])


def advance(endpoint: str, seconds: float) -> float:
    """Move a virtual clock forward by `seconds`; returns the server's new clock time."""
    response = httpx.post(f"{endpoint}/_lambdalite/clock", json={"advance": seconds}, timeout=30)
    response.raise_for_status()
    return float(response.json()["now"])


def fast_forward(endpoint: str, seconds: float, timeout: float = DRAIN_TIMEOUT_S) -> float:
    """Move a virtual clock forward by `seconds`, stopping at each deadline on the way to
    let the work due then settle; returns the server's new clock time."""
    response = httpx.post(
        f"{endpoint}/_lambdalite/clock",
        json={"advance": seconds, "drain": True, "timeout": timeout},
        timeout=timeout + 30,
    )
    if response.status_code == 408:
        raise DrainTimeout(f"not drained within {timeout} s: {response.text}")
    response.raise_for_status()
    return float(response.json()["now"])


def clock_now(endpoint: str) -> float:
    """The server's clock time (virtual or not)."""
    response = httpx.get(f"{endpoint}/_lambdalite/clock", timeout=30)
    response.raise_for_status()
    return float(response.json()["now"])

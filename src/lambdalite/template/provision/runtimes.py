"""A template's runtime that no interpreter here serves runs on the nearest one that does.

Current public templates say python3.14; the Lambda API (rightly) rejects a runtime it does
not know, so the template path deploys the function under the nearest supported runtime
name and warns once, naming both; the declared runtime stays in the stack's state.
"""

from __future__ import annotations

from lambdalite.sandbox.interpreters import SUPPORTED_RUNTIMES, interpreter_for


def _minor(runtime: str) -> int | None:
    version = runtime.removeprefix("python")
    major, _, minor = version.partition(".")
    return int(minor) if major == "3" and minor.isdigit() else None


def nearest(runtime: str) -> str | None:
    """The supported runtime to run `runtime` on, or None when it is served as it is (or is
    not a Python 3 runtime at all, which the Lambda API then rejects with its own error)."""
    wanted = _minor(runtime)
    if runtime in SUPPORTED_RUNTIMES or wanted is None:
        return None
    installed = [r for r in SUPPORTED_RUNTIMES if interpreter_for(r).exact]
    candidates = installed or list(SUPPORTED_RUNTIMES)
    # Nearest minor; between equals the newer, since code written for 3.14 targets newer.
    return min(candidates, key=lambda r: (abs((_minor(r) or 0) - wanted), -(_minor(r) or 0)))

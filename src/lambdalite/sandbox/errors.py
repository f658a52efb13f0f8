"""Internal sandbox errors (never AWS wire errors; function failures are results, not these).

SandboxError
 +-- ForkServerError   the fork server could not be started or died
 +-- SandboxCrashed    an environment broke the protocol and was discarded
"""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox layer could not run an invocation."""


class ForkServerError(SandboxError):
    """A fork server could not be started, or it died."""


class SandboxCrashed(SandboxError):
    """An environment sent garbage on its channel; it was killed and is never reused."""

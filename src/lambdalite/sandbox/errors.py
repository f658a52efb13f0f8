"""The sandbox's own faults, under the platform's `SandboxError` (lambdalite/errors.py).

They are `InternalError`s, so the API edge reports them as ServiceException like any other
platform fault; a function's own failure is a result, never one of these.

SandboxError                (lambdalite.errors)
 +-- ForkServerError        the fork server could not be started or died
 +-- SandboxCrashed         an environment broke the protocol and was discarded
"""

from __future__ import annotations

from lambdalite.errors import SandboxError

__all__ = ["ForkServerError", "SandboxCrashed", "SandboxError"]


class ForkServerError(SandboxError):
    """A fork server could not be started, or it died."""


class SandboxCrashed(SandboxError):
    """An environment sent garbage on its channel; it was killed and is never reused."""

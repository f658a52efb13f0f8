"""The sandbox's own faults, under the platform's `SandboxError` (lambdalite/errors.py).

They are `InternalError`s, so the API edge reports them as ServiceException like any other
platform fault; a function's own failure is a result, never one of these.

SandboxError                (lambdalite.errors)
 +-- ForkServerError        the fork server could not be started or died
 +-- SandboxCrashed         an environment broke the protocol and was discarded
 +-- SnapshotInitError      a SnapStart snapshot's init or before-snapshot hooks failed
"""

from __future__ import annotations

from typing import Any

from lambdalite.errors import SandboxError

__all__ = ["ForkServerError", "SandboxCrashed", "SandboxError", "SnapshotInitError"]


class ForkServerError(SandboxError):
    """A fork server could not be started, or it died."""


class SandboxCrashed(SandboxError):
    """An environment sent garbage on its channel; it was killed and is never reused."""


class SnapshotInitError(SandboxError):
    """A SnapStart snapshot could not be made: the function's init or a before-snapshot
    hook failed. Carries the runtime's error document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.error_type = str(doc.get("errorType") or "Runtime.Unknown")
        super().__init__(f"{self.error_type}: {doc.get('errorMessage', '')}")

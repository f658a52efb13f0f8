"""What resource policies need from storage: one policy per function and qualifier.

A policy changes in one transaction: the store reads the current one, hands it to a pure
``PolicyChange`` (which may raise the AWS error that refuses the change) and writes what it
returns. The SQLite backend implements it in store/sqlite/policies.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[dict[str, Any], ...]  # as AWS builds them, in the order added
    revision_id: str


class PolicyChange(Protocol):
    def __call__(self, current: Policy | None) -> Policy | None:
        """The policy after the change (None: no policy any more); raise to refuse it."""
        ...


class PolicyStore(Protocol):
    async def get_policy(self, function_name: str, qualifier: str) -> Policy | None: ...

    async def change_policy(
        self, function_name: str, qualifier: str, change: PolicyChange
    ) -> Policy | None:
        """Apply ``change`` atomically; returns the policy written (None when removed)."""
        ...

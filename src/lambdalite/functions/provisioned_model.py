"""A provisioned concurrency config as stored (spec 7.3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProvisionedConfig:
    function_name: str
    qualifier: str  # a published version number or an alias name
    requested: int
    last_modified: str

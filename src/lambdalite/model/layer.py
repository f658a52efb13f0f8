"""Lambda layer versions, as stored values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from lambdalite.model.function import Code


@dataclass(frozen=True, kw_only=True)
class LayerVersion:
    """One immutable version of a layer (PublishLayerVersion makes it)."""

    name: str
    version: int
    code: Code
    created_date: str
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str | None = None

    def compatible(self, runtime: str | None, architecture: str | None) -> bool:
        """ListLayers/ListLayerVersions filters: a version naming none is not compatible."""
        return (runtime is None or runtime in self.compatible_runtimes) and (
            architecture is None or architecture in self.compatible_architectures
        )

    def to_record(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        record["compatible_runtimes"] = list(self.compatible_runtimes)
        record["compatible_architectures"] = list(self.compatible_architectures)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LayerVersion:
        values = dict(record)
        values["code"] = Code(**values["code"])
        values["compatible_runtimes"] = tuple(values["compatible_runtimes"])
        values["compatible_architectures"] = tuple(values["compatible_architectures"])
        return cls(**values)

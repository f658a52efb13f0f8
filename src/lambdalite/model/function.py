"""Functions, their versions and aliases, as stored values."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

LATEST = "$LATEST"


class State(enum.StrEnum):
    PENDING = "Pending"
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    FAILED = "Failed"


class LastUpdateStatus(enum.StrEnum):
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    IN_PROGRESS = "InProgress"


@dataclass(frozen=True, kw_only=True)
class Code:
    """A deployment package, content-addressed by its SHA-256 (base64, as AWS reports it)."""

    sha256: str
    size: int
    directory: str  # where the extracted code lives
    zip_path: str | None = None  # the uploaded zip, None when running from a local directory
    local: bool = False  # non-AWS: run straight from a directory of the user's
    # Non-AWS: the code's requirements.txt, installed by the builder (lambdalite.build); on
    # the import path right after the code, as `sam build` would have put it beside it.
    dependencies: str | None = None


@dataclass(frozen=True, kw_only=True)
class LayerRef:
    """A layer version as a function's configuration holds it: resolved once, when the
    function is configured, so a later DeleteLayerVersion leaves the function as it is."""

    arn: str
    directory: str  # the layer's content, as /opt would hold it
    size: int = 0
    local: bool = False  # non-AWS: a directory of the user's, read in place


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    """The configuration of one version: `$LATEST` (mutable) or a published number."""

    name: str
    version: str
    runtime: str
    handler: str
    role: str
    code: Code
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    ephemeral_storage: int = 512
    environment: dict[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    dead_letter_target_arn: str | None = None
    tracing_mode: str = "PassThrough"
    log_format: str = "Text"
    log_group: str | None = None
    application_log_level: str | None = None  # set (default INFO) only with JSON
    system_log_level: str | None = None  # set (default INFO) only with JSON
    layers: tuple[str, ...] = ()
    snap_start: str = "None"  # SnapStart.ApplyOn: "None" or "PublishedVersions"
    layer_refs: tuple[LayerRef, ...] = ()  # `layers`, resolved (see LayerRef)
    last_modified: str = ""
    revision_id: str = ""
    state: State = State.ACTIVE
    state_reason: str | None = None
    state_reason_code: str | None = None
    last_update_status: LastUpdateStatus = LastUpdateStatus.SUCCESSFUL
    last_update_status_reason: str | None = None
    last_update_status_reason_code: str | None = None

    @property
    def snap_started(self) -> bool:
        """SnapStart applies: a published version of a function with ApplyOn set."""
        return self.snap_start == "PublishedVersions" and self.version != LATEST

    @property
    def effective_log_group(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"

    def replace(self, **changes: Any) -> FunctionConfig:
        return dataclasses.replace(self, **changes)

    def to_record(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        record["architectures"] = list(self.architectures)
        record["layers"] = list(self.layers)
        record["layer_refs"] = [dataclasses.asdict(ref) for ref in self.layer_refs]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FunctionConfig:
        values = dict(record)
        values["code"] = Code(**values["code"])
        values["architectures"] = tuple(values["architectures"])
        values["layers"] = tuple(values.get("layers", ()))
        values["layer_refs"] = tuple(LayerRef(**ref) for ref in values.get("layer_refs", ()))
        values["state"] = State(values["state"])
        values["last_update_status"] = LastUpdateStatus(values["last_update_status"])
        return cls(**values)

    def same_publishable_content(self, other: FunctionConfig) -> bool:
        """True when publishing `self` after `other` would create nothing new."""
        ignored = {
            "version",
            "description",
            "last_modified",
            "revision_id",
            "state",
            "state_reason",
            "state_reason_code",
            "last_update_status",
            "last_update_status_reason",
            "last_update_status_reason_code",
        }
        mine = {k: v for k, v in self.to_record().items() if k not in ignored}
        theirs = {k: v for k, v in other.to_record().items() if k not in ignored}
        return mine == theirs


@dataclass(frozen=True, kw_only=True)
class Alias:
    function_name: str
    name: str
    function_version: str
    description: str = ""
    additional_version_weights: dict[str, float] = field(default_factory=dict)
    revision_id: str = ""

    def to_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Alias:
        return cls(**record)


@dataclass(frozen=True, kw_only=True)
class FunctionRecord:
    """What belongs to the function as a whole, not to a version."""

    name: str
    reserved_concurrency: int | None = None
    last_version: int = 0  # the highest version number ever published (never reused)

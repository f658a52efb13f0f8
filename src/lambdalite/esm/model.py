"""Event source mappings as stored values: configuration, state, identity (spec 4.2)."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any


class MappingState(enum.StrEnum):
    CREATING = "Creating"
    ENABLING = "Enabling"
    ENABLED = "Enabled"
    DISABLING = "Disabling"
    DISABLED = "Disabled"
    UPDATING = "Updating"
    DELETING = "Deleting"

    @property
    def steady(self) -> bool:
        """Enabled or Disabled: the states a change may start from (the rest are in flight)."""
        return self in (MappingState.ENABLED, MappingState.DISABLED)


class SourceKind(enum.StrEnum):
    SQS = "sqs"
    KINESIS = "kinesis"
    DYNAMODB = "dynamodb"  # DynamoDB Streams

    @property
    def stream(self) -> bool:
        return self is not SourceKind.SQS

    @property
    def transition_reason(self) -> str:
        # AWS words a user's change differently per source family (spec 4.2.3).
        return "USER_INITIATED" if self is SourceKind.SQS else "User action"


NO_RECORDS = "No records processed"  # LastProcessingResult before the first batch
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
EVENT_COUNT = "EventCount"  # MetricsConfig.Metrics: the one value that applies here


@dataclass(frozen=True, kw_only=True)
class MappingConfig:
    """What the user configures. Members that do not apply to the source stay None and are
    left out of the wire shape, as AWS leaves them out."""

    enabled: bool = True
    batch_size: int
    maximum_batching_window_in_seconds: int = 0
    filter_patterns: tuple[str, ...] | None = None  # FilterCriteria.Filters[].Pattern, as given
    function_response_types: tuple[str, ...] = ()
    metrics: tuple[str, ...] | None = None  # MetricsConfig.Metrics (EventCount, ...)
    # SQS
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency
    # streams
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    parallelization_factor: int | None = None
    bisect_batch_on_function_error: bool | None = None
    maximum_retry_attempts: int | None = None
    maximum_record_age_in_seconds: int | None = None
    tumbling_window_in_seconds: int | None = None
    on_failure: str | None = None  # DestinationConfig.OnFailure.Destination
    # beyond AWS (the extensions switch): where each successful batch's record goes
    on_success: str | None = None

    @property
    def event_counts(self) -> bool:
        """Whether the mapping publishes its EventCount metrics to CloudWatch."""
        return self.metrics is not None and EVENT_COUNT in self.metrics

    def replace(self, **changes: Any) -> MappingConfig:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        doc = dataclasses.asdict(self)
        for key in ("filter_patterns", "function_response_types", "metrics"):
            if doc[key] is not None:
                doc[key] = list(doc[key])
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> MappingConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        if values.get("filter_patterns") is not None:
            values["filter_patterns"] = tuple(values["filter_patterns"])
        if values.get("metrics") is not None:
            values["metrics"] = tuple(values["metrics"])
        values["function_response_types"] = tuple(values.get("function_response_types") or ())
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class EventSourceMapping:
    uuid: str
    function_name: str  # the function's plain name (List filters by it)
    function_arn: str  # as configured: qualified when a version or alias was given
    event_source_arn: str
    source_kind: SourceKind
    config: MappingConfig
    state: MappingState
    state_transition_reason: str
    last_modified: float  # epoch seconds on the platform clock
    last_processing_result: str = NO_RECORDS
    revision: int = 1  # bumped by every stored change: updates compare and set on it

    def replace(self, **changes: Any) -> EventSourceMapping:
        return dataclasses.replace(self, **changes)

    @property
    def arn(self) -> str:
        """EventSourceMappingArn, in the function's region and account."""
        _, partition, _, region, account, _ = self.function_arn.split(":", 5)
        return f"arn:{partition}:lambda:{region}:{account}:event-source-mapping:{self.uuid}"

    def settled_state(self) -> MappingState:
        """Where a transitional state lands (Deleting lands nowhere: the row goes)."""
        return MappingState.ENABLED if self.config.enabled else MappingState.DISABLED

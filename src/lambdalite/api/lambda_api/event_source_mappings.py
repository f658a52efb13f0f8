"""Create/Get/List/Update/DeleteEventSourceMapping(s): params in, mapping configurations out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lambdalite.esm.model import EventSourceMapping
from lambdalite.platform import Platform


def wire(mapping: EventSourceMapping, *, created: bool = False) -> dict[str, Any]:
    """Members that do not apply to the source are left out, as AWS leaves them out."""
    c = mapping.config
    doc: dict[str, Any] = {
        "UUID": mapping.uuid,
        "StartingPosition": c.starting_position,
        "BatchSize": c.batch_size,
        "MaximumBatchingWindowInSeconds": c.maximum_batching_window_in_seconds,
        "ParallelizationFactor": c.parallelization_factor,
        "EventSourceArn": mapping.event_source_arn,
        "FunctionArn": mapping.function_arn,
        "LastModified": datetime.fromtimestamp(mapping.last_modified, tz=UTC),
        "State": mapping.state.value,
        "StateTransitionReason": mapping.state_transition_reason,
        "MaximumRecordAgeInSeconds": c.maximum_record_age_in_seconds,
        "BisectBatchOnFunctionError": c.bisect_batch_on_function_error,
        "MaximumRetryAttempts": c.maximum_retry_attempts,
        "TumblingWindowInSeconds": c.tumbling_window_in_seconds,
        "FunctionResponseTypes": list(c.function_response_types),
        "EventSourceMappingArn": mapping.arn,
    }
    if c.starting_position_timestamp is not None:
        doc["StartingPositionTimestamp"] = datetime.fromtimestamp(
            c.starting_position_timestamp, tz=UTC
        )
    # AWS's recorded SQS create answer has no LastProcessingResult; streams' has.
    if not (created and not mapping.source_kind.stream):
        doc["LastProcessingResult"] = mapping.last_processing_result
    if c.filter_patterns is not None:
        doc["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in c.filter_patterns]}
    if c.metrics is not None:
        doc["MetricsConfig"] = {"Metrics": list(c.metrics)}
    if c.maximum_concurrency is not None:
        doc["ScalingConfig"] = {"MaximumConcurrency": c.maximum_concurrency}
    destinations: dict[str, Any] = {}
    if c.on_success is not None:
        destinations["OnSuccess"] = {"Destination": c.on_success}
    if mapping.source_kind.stream:  # streams always show OnFailure, {} when unset
        destinations["OnFailure"] = {"Destination": c.on_failure} if c.on_failure else {}
    if destinations:
        doc["DestinationConfig"] = destinations
    return doc


async def create_mapping(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return wire(await p.mappings.create(params), created=True)


async def get_mapping(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return wire(await p.mappings.get(params["UUID"]))


async def update_mapping(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in params.items() if k != "UUID"}
    return wire(await p.mappings.update(params["UUID"], changes))


async def delete_mapping(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return wire(await p.mappings.delete(params["UUID"]))


async def list_mappings(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.mappings.list(
        params.get("EventSourceArn"),
        params.get("FunctionName"),
        params.get("Marker"),
        params.get("MaxItems"),
    )
    doc: dict[str, Any] = {"EventSourceMappings": [wire(m) for m in page.items]}
    if page.next_marker is not None:
        doc["NextMarker"] = page.next_marker
    return doc


OPERATIONS = {
    "CreateEventSourceMapping": create_mapping,
    "GetEventSourceMapping": get_mapping,
    "UpdateEventSourceMapping": update_mapping,
    "DeleteEventSourceMapping": delete_mapping,
    "ListEventSourceMappings": list_mappings,
}

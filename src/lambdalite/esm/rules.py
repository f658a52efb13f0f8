"""What CreateEventSourceMapping and UpdateEventSourceMapping accept, per source type.

Pure: request params in (PascalCase, already checked against botocore's model for types,
ranges and enums), a MappingConfig or the AWS error out. The caller looks the function and
the source up; everything decidable from the request alone is here, in AWS's order (spec
4.2.1, 4.2.4). Messages marked "unconfirmed" are ours where no AWS recording was found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lambdalite.errors import InvalidParameterValueException
from lambdalite.esm.model import EVENT_COUNT, MappingConfig, SourceKind
from lambdalite.patterns import InvalidEventPattern, compile_pattern

MAX_FILTERS = 5  # AWS's default quota (spec 5.1)
MAX_SQS_BATCH_WITHOUT_WINDOW = 10
MAX_FIFO_BATCH = 10
MIN_RECORD_AGE_S = 60  # -1 (infinite) or 60..604800 (spec 4.2.1)
DESTINATION_SERVICES = ("sqs", "sns")

UNRECOGNIZED_SOURCE = "Unrecognized event source."
UNSUPPORTED_DESTINATION = (
    "Unsupported DestinationConfig parameter for given event source mapping type."
)
MISSING_STARTING_POSITION = (
    "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
    "constraint: Member must not be null."
)
STARTING_POSITION_ON_SQS = "StartingPosition is not valid for SQS event sources."
SQS_WINDOW_NEEDED = (
    "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
    "greater than 10"
)
INVALID_FILTER = "Invalid filter pattern definition."
ON_FAILURE_WITHOUT_DESTINATION = "The Destination field is required for an OnFailure configuration."

# Members that apply only to streams, or only to SQS; AWS names the member in camelCase.
STREAM_ONLY = (
    "ParallelizationFactor",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
)
SQS_ONLY = ("ScalingConfig",)
# Members of Kafka, MQ and DocumentDB sources, which lambdalite does not serve.
OTHER_SOURCES_ONLY = (
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
)


FUTURE_TOLERANCE_S = 1.0
_DYNAMODB_STREAM = re.compile(r"^table/[^/]+/stream/[^/]+$")


def unsupported(member: str) -> InvalidParameterValueException:
    """AWS's refusal of a member the source type does not take (recorded for MSK's
    maximumBatchingWindowInSeconds; the same wording is assumed for the others)."""
    camel = member[0].lower() + member[1:]
    return InvalidParameterValueException(
        f"Unsupported '{camel}' parameter for given event source mapping type."
    )


def source_kind(arn: str | None) -> SourceKind:
    """The source type an EventSourceArn names; SQS queues, Kinesis streams and DynamoDB
    tables' streams are served (a stream consumer ARN is not a stream)."""
    parts = (arn or "").split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        if parts[2] == "sqs":
            return SourceKind.SQS
        stream = parts[5].startswith("stream/") and "/consumer/" not in parts[5]
        if parts[2] == "kinesis" and stream:
            return SourceKind.KINESIS
        if parts[2] == "dynamodb" and _DYNAMODB_STREAM.match(parts[5]):
            return SourceKind.DYNAMODB
    raise InvalidParameterValueException(UNRECOGNIZED_SOURCE)


def is_fifo(source_arn: str) -> bool:
    return source_arn.endswith(".fifo")


def check_on_success(params: Mapping[str, Any], extensions: bool) -> None:
    """AWS takes no OnSuccess on any mapping and checks it before anything else; with the
    extensions switch on, lambdalite takes it (rules for its ARN in `build_config`)."""
    if not extensions and "OnSuccess" in (params.get("DestinationConfig") or {}):
        raise InvalidParameterValueException(UNSUPPORTED_DESTINATION)


def defaults(kind: SourceKind) -> MappingConfig:
    """A new mapping's configuration before the request's members (spec 4.2.2)."""
    if kind is SourceKind.SQS:
        return MappingConfig(batch_size=10)
    return MappingConfig(
        batch_size=100,
        parallelization_factor=1,
        bisect_batch_on_function_error=False,
        maximum_retry_attempts=-1,
        maximum_record_age_in_seconds=-1,
        tumbling_window_in_seconds=0,
    )


def build_config(
    params: Mapping[str, Any],
    kind: SourceKind,
    source_arn: str,
    *,
    current: MappingConfig | None,
    extensions: bool,
    now: float,
) -> MappingConfig:
    """The configuration a Create (current None) or an Update (current: the mapping's)
    asks for, or the AWS error for the first rule it breaks."""
    check_on_success(params, extensions)
    _check_applicable(params, kind, source_arn, creating=current is None)
    config = defaults(kind) if current is None else current
    changes: dict[str, Any] = {}
    simple = {
        "Enabled": "enabled",
        "BatchSize": "batch_size",
        "MaximumBatchingWindowInSeconds": "maximum_batching_window_in_seconds",
        "ParallelizationFactor": "parallelization_factor",
        "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
        "MaximumRetryAttempts": "maximum_retry_attempts",
        "MaximumRecordAgeInSeconds": "maximum_record_age_in_seconds",
        "TumblingWindowInSeconds": "tumbling_window_in_seconds",
    }
    for member, field in simple.items():
        if member in params:
            changes[field] = params[member]
    if "FunctionResponseTypes" in params:
        changes["function_response_types"] = tuple(params["FunctionResponseTypes"] or ())
    if "ScalingConfig" in params:
        changes["maximum_concurrency"] = (params["ScalingConfig"] or {}).get("MaximumConcurrency")
    if current is None and kind.stream:
        changes.update(_starting_position(params, now))
    config = config.replace(**changes)
    _check_batching(config, kind, source_arn)
    _check_record_age(config)
    if "FilterCriteria" in params:
        config = config.replace(filter_patterns=_filters(params["FilterCriteria"]))
    if "DestinationConfig" in params:
        config = _destinations(config, params["DestinationConfig"] or {})
    if "MetricsConfig" in params:
        config = config.replace(metrics=_metrics(params["MetricsConfig"] or {}))
    return config


def _check_applicable(
    params: Mapping[str, Any], kind: SourceKind, source_arn: str, *, creating: bool
) -> None:
    for member in OTHER_SOURCES_ONLY:
        if member in params:
            raise unsupported(member)
    if kind is SourceKind.SQS:
        if "StartingPosition" in params or "StartingPositionTimestamp" in params:
            raise InvalidParameterValueException(STARTING_POSITION_ON_SQS)
        for member in STREAM_ONLY:
            if member in params:
                raise unsupported(member)
        # OnFailure: SQS redrives failures with the queue's own policy instead.
        if "OnFailure" in (params.get("DestinationConfig") or {}):
            raise InvalidParameterValueException(UNSUPPORTED_DESTINATION)
        return
    if creating and not params.get("StartingPosition"):
        raise InvalidParameterValueException(MISSING_STARTING_POSITION)
    if kind is SourceKind.DYNAMODB and params.get("StartingPosition") == "AT_TIMESTAMP":
        raise InvalidParameterValueException(
            f"Unsupported starting position for arn type: {source_arn}"
        )
    for member in SQS_ONLY:
        if member in params:
            raise unsupported(member)


def _starting_position(params: Mapping[str, Any], now: float) -> dict[str, Any]:
    position = params["StartingPosition"]
    if position != "AT_TIMESTAMP":
        return {"starting_position": position}
    stamp = params.get("StartingPositionTimestamp")
    if stamp is None:  # unconfirmed wording
        raise InvalidParameterValueException(
            "StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP."
        )
    at = stamp.timestamp() if isinstance(stamp, datetime) else float(stamp)
    # The SDK serialises the timestamp rounded to milliseconds: a caller that passes the
    # present must not be refused for a rounding up (seen on 3.13's float formatting).
    if at > now + FUTURE_TOLERANCE_S:  # unconfirmed wording
        raise InvalidParameterValueException("StartingPositionTimestamp cannot be in the future.")
    return {"starting_position": position, "starting_position_timestamp": at}


def _check_batching(config: MappingConfig, kind: SourceKind, source_arn: str) -> None:
    if kind is not SourceKind.SQS:
        return  # documented for streams too, but AWS enforces it for SQS only (spec 4.2.1)
    window = config.maximum_batching_window_in_seconds
    if config.batch_size > MAX_SQS_BATCH_WITHOUT_WINDOW and window == 0:
        raise InvalidParameterValueException(SQS_WINDOW_NEEDED)
    if is_fifo(source_arn) and config.batch_size > MAX_FIFO_BATCH:  # unconfirmed wording
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{config.batch_size}' at 'batchSize' failed "
            f"to satisfy constraint: Member must have value less than or equal to "
            f"{MAX_FIFO_BATCH} for FIFO queues"
        )


def _check_record_age(config: MappingConfig) -> None:
    age = config.maximum_record_age_in_seconds
    if age is not None and 0 <= age < MIN_RECORD_AGE_S:  # the model allows -1..604800
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{age}' at 'maximumRecordAgeInSeconds' "
            f"failed to satisfy constraint: Member must have value greater than or equal to "
            f"{MIN_RECORD_AGE_S}"
        )


def _filters(criteria: Mapping[str, Any]) -> tuple[str, ...] | None:
    """FilterCriteria={} (or no Filters) removes every filter (spec 5.1)."""
    filters = criteria.get("Filters") or []
    if len(filters) > MAX_FILTERS:  # unconfirmed wording
        raise InvalidParameterValueException(
            f"The number of filters ({len(filters)}) exceeds the limit of {MAX_FILTERS} "
            "filters per event source mapping."
        )
    patterns: list[str] = []
    for item in filters:
        pattern = item.get("Pattern")
        if not pattern:
            raise InvalidParameterValueException(INVALID_FILTER)
        try:
            compile_pattern(pattern, dialect="esm")
        except InvalidEventPattern:
            raise InvalidParameterValueException(INVALID_FILTER) from None
        patterns.append(pattern)
    return tuple(patterns) or None


def _metrics(given: Mapping[str, Any]) -> tuple[str, ...] | None:
    """MetricsConfig: EventCount applies to every source served here; ErrorCount and
    KafkaMetrics are Kafka's (the model's enum, ranges checked already). An empty list
    (or {}) turns the metrics off."""
    metrics = tuple(given.get("Metrics") or ())
    other = [m for m in metrics if m not in (EVENT_COUNT,)]
    if other:  # unconfirmed wording
        raise InvalidParameterValueException(
            f"Unsupported metrics {', '.join(other)} for given event source mapping type."
        )
    return metrics or None


def _destinations(config: MappingConfig, given: Mapping[str, Any]) -> MappingConfig:
    changes: dict[str, Any] = {}
    for side, field in (("OnFailure", "on_failure"), ("OnSuccess", "on_success")):
        if side not in given:
            continue
        doc = given[side] or {}
        if "Destination" not in doc:
            if side == "OnFailure":
                raise InvalidParameterValueException(ON_FAILURE_WITHOUT_DESTINATION)
            changes[field] = None
            continue
        arn = doc["Destination"] or None  # "" removes the destination
        if arn is not None and _service(arn) not in DESTINATION_SERVICES:
            raise InvalidParameterValueException(
                f"The provided destination config {_describe(given)} is invalid."
            )
        changes[field] = arn
    return config.replace(**changes)


def _service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 and parts[0] == "arn" else ""


def _describe(given: Mapping[str, Any]) -> str:
    """AWS echoes a destination config in its Java toString form (as for async configs)."""

    def side(cls: str) -> str:
        if cls not in given:
            return "null"
        arn = (given.get(cls) or {}).get("Destination")
        return f"{cls}(destination={arn or 'null'})"

    return f"DestinationConfig(onSuccess={side('OnSuccess')}, onFailure={side('OnFailure')})"

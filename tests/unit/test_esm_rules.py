"""The mapping rules (esm/rules.py), table-tested: defaults per source, what each source
type refuses, the cross-field rules, filters and destinations, in AWS's order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lambdalite.errors import InvalidParameterValueException
from lambdalite.esm import rules
from lambdalite.esm.model import MappingConfig, SourceKind

QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"
FIFO = "arn:aws:sqs:us-east-1:000000000000:q.fifo"
STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
TOPIC = "arn:aws:sns:us-east-1:000000000000:t"
NOW = 1_800_000_000.0


DDB_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000"


def test_dynamodb_streams_take_no_at_timestamp() -> None:
    params = {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": NOW - 10}
    assert refused(params, DDB_STREAM) == (
        f"Unsupported starting position for arn type: {DDB_STREAM}"
    )
    config = build({"StartingPosition": "LATEST"}, DDB_STREAM)
    assert config.batch_size == 100 and config.maximum_retry_attempts == -1


def build(
    params: dict[str, Any],
    source: str = QUEUE,
    *,
    current: MappingConfig | None = None,
    extensions: bool = False,
) -> MappingConfig:
    kind = rules.source_kind(source)
    return rules.build_config(params, kind, source, current=current, extensions=extensions, now=NOW)


def refused(params: dict[str, Any], source: str = QUEUE, **kw: Any) -> str:
    with pytest.raises(InvalidParameterValueException) as caught:
        build(params, source, **kw)
    return caught.value.message


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        (QUEUE, SourceKind.SQS),
        (FIFO, SourceKind.SQS),
        (STREAM, SourceKind.KINESIS),
        (DDB_STREAM, SourceKind.DYNAMODB),
    ],
)
def test_source_kinds(arn: str, kind: SourceKind) -> None:
    assert rules.source_kind(arn) is kind


@pytest.mark.parametrize(
    "arn",
    [
        None,
        "",
        "arn:aws:dynamodb:us-east-1:000000000000:table/t",  # a table is not its stream
        "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/i",
        "arn:aws:kafka:us-east-1:000000000000:cluster/c/1",
        "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1",
        "not-an-arn",
    ],
)
def test_other_sources_are_unrecognized(arn: str | None) -> None:
    with pytest.raises(InvalidParameterValueException, match=r"^Unrecognized event source\.$"):
        rules.source_kind(arn)


def test_sqs_defaults_carry_no_stream_members() -> None:
    assert build({}) == MappingConfig(batch_size=10)


def test_stream_defaults() -> None:
    config = build({"StartingPosition": "LATEST"}, STREAM)
    assert config == MappingConfig(
        batch_size=100,
        starting_position="LATEST",
        parallelization_factor=1,
        bisect_batch_on_function_error=False,
        maximum_retry_attempts=-1,
        maximum_record_age_in_seconds=-1,
        tumbling_window_in_seconds=0,
    )


def test_every_stream_member_is_taken() -> None:
    config = build(
        {
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 500,
            "MaximumBatchingWindowInSeconds": 0,  # streams: no window needed (spec 4.2.1)
            "ParallelizationFactor": 10,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 3,
            "MaximumRecordAgeInSeconds": 60,
            "TumblingWindowInSeconds": 900,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Destination": TOPIC}},
            "Enabled": False,
        },
        STREAM,
    )
    assert (config.batch_size, config.parallelization_factor) == (500, 10)
    assert config.bisect_batch_on_function_error is True
    assert (config.maximum_retry_attempts, config.maximum_record_age_in_seconds) == (3, 60)
    assert config.tumbling_window_in_seconds == 900 and config.enabled is False
    assert config.function_response_types == ("ReportBatchItemFailures",)
    assert config.on_failure == TOPIC


def test_at_timestamp_needs_a_past_timestamp() -> None:
    past = datetime.fromtimestamp(NOW - 60, tz=UTC)
    params = {"StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": past}
    assert build(params, STREAM).starting_position_timestamp == NOW - 60
    assert "StartingPositionTimestamp" in refused({"StartingPosition": "AT_TIMESTAMP"}, STREAM)
    future = datetime.fromtimestamp(NOW + 60, tz=UTC)
    params["StartingPositionTimestamp"] = future
    assert "future" in refused(params, STREAM)
    # The present, rounded up to the millisecond by the SDK, is not the future.
    params["StartingPositionTimestamp"] = datetime.fromtimestamp(NOW + 0.0005, tz=UTC)
    assert build(params, STREAM).starting_position_timestamp == NOW + 0.0005


def test_a_stream_needs_a_starting_position_on_create_only() -> None:
    assert refused({}, STREAM) == (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null."
    )
    current = build({"StartingPosition": "LATEST"}, STREAM)
    assert build({"BatchSize": 7}, STREAM, current=current).batch_size == 7


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ParallelizationFactor": 2}, "Unsupported 'parallelizationFactor' parameter"),
        ({"BisectBatchOnFunctionError": False}, "Unsupported 'bisectBatchOnFunctionError'"),
        ({"MaximumRetryAttempts": 1}, "Unsupported 'maximumRetryAttempts' parameter"),
        ({"MaximumRecordAgeInSeconds": 60}, "Unsupported 'maximumRecordAgeInSeconds'"),
        ({"TumblingWindowInSeconds": 60}, "Unsupported 'tumblingWindowInSeconds' parameter"),
        ({"Topics": ["t"]}, "Unsupported 'topics' parameter"),
        ({"StartingPosition": "LATEST"}, "StartingPosition is not valid for SQS event sources."),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": QUEUE}}},
            "Unsupported DestinationConfig parameter for given event source mapping type.",
        ),
    ],
)
def test_what_sqs_refuses(params: dict[str, Any], message: str) -> None:
    assert refused(params).startswith(message)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ScalingConfig": {"MaximumConcurrency": 5}}, "Unsupported 'scalingConfig' parameter"),
        ({"Queues": ["q"]}, "Unsupported 'queues' parameter"),
    ],
)
def test_what_streams_refuse(params: dict[str, Any], message: str) -> None:
    assert refused({"StartingPosition": "LATEST", **params}, STREAM).startswith(message)


def test_sqs_batches_above_ten_need_a_window_on_create_and_update() -> None:
    window = "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
    assert refused({"BatchSize": 11}) == window + "greater than 10"
    assert build({"BatchSize": 10}).batch_size == 10
    wide = build({"BatchSize": 10_000, "MaximumBatchingWindowInSeconds": 1})
    assert wide.batch_size == 10_000
    assert refused({"MaximumBatchingWindowInSeconds": 0}, current=wide).startswith(window)
    assert "FIFO" in refused({"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1}, FIFO)


def test_scaling_config_is_set_and_cleared() -> None:
    config = build({"ScalingConfig": {"MaximumConcurrency": 7}})
    assert config.maximum_concurrency == 7
    assert build({"ScalingConfig": {}}, current=config).maximum_concurrency is None


def test_record_age_is_infinite_or_at_least_a_minute() -> None:
    base = {"StartingPosition": "LATEST"}
    assert build({**base, "MaximumRecordAgeInSeconds": -1}, STREAM)
    message = refused({**base, "MaximumRecordAgeInSeconds": 59}, STREAM)
    assert message.startswith("1 validation error detected: Value '59' at ")


def test_filters_are_compiled_counted_and_cleared() -> None:
    pattern = '{"body": {"status": ["ERROR"]}}'
    config = build({"FilterCriteria": {"Filters": [{"Pattern": pattern}] * 5}})
    assert config.filter_patterns == (pattern,) * 5
    assert build({"FilterCriteria": {}}, current=config).filter_patterns is None
    assert build({"BatchSize": 5}, current=config).filter_patterns == (pattern,) * 5
    assert "limit of 5" in refused({"FilterCriteria": {"Filters": [{"Pattern": pattern}] * 6}})
    for bad in ('{"body": "x"}', "not json", "", '{"body": {"n": [{"numeric": [">"]}]}}'):
        criteria = {"FilterCriteria": {"Filters": [{"Pattern": bad}]}}
        assert refused(criteria) == "Invalid filter pattern definition."


def test_on_success_is_aws_refused_without_the_extensions_switch() -> None:
    given = {"DestinationConfig": {"OnSuccess": {"Destination": QUEUE}}}
    message = "Unsupported DestinationConfig parameter for given event source mapping type."
    assert refused(given) == message
    assert refused({"StartingPosition": "LATEST", **given}, STREAM) == message
    with pytest.raises(InvalidParameterValueException, match="Unsupported DestinationConfig"):
        rules.check_on_success(given, extensions=False)
    rules.check_on_success(given, extensions=True)


def test_on_success_with_the_extensions_switch_takes_queues_and_topics() -> None:
    sqs = build({"DestinationConfig": {"OnSuccess": {"Destination": TOPIC}}}, extensions=True)
    assert sqs.on_success == TOPIC and sqs.on_failure is None
    stream = build(
        {
            "StartingPosition": "LATEST",
            "DestinationConfig": {
                "OnSuccess": {"Destination": QUEUE},
                "OnFailure": {"Destination": TOPIC},
            },
        },
        STREAM,
        extensions=True,
    )
    assert (stream.on_success, stream.on_failure) == (QUEUE, TOPIC)
    lam = "arn:aws:lambda:us-east-1:000000000000:function:f"
    bad = {"DestinationConfig": {"OnSuccess": {"Destination": lam}}}
    assert refused(bad, extensions=True) == (
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess("
        f"destination={lam}), onFailure=null) is invalid."
    )
    cleared = build({"DestinationConfig": {"OnSuccess": {}}}, current=sqs, extensions=True)
    assert cleared.on_success is None


def test_on_failure_needs_a_destination_and_an_empty_one_clears_it() -> None:
    base = {"StartingPosition": "LATEST"}
    on = build({**base, "DestinationConfig": {"OnFailure": {"Destination": QUEUE}}}, STREAM)
    message = "The Destination field is required for an OnFailure configuration."
    assert refused({"DestinationConfig": {"OnFailure": {}}}, STREAM, current=on) == message
    off = build({"DestinationConfig": {"OnFailure": {"Destination": ""}}}, STREAM, current=on)
    assert off.on_failure is None

"""Event source mappings through the Lambda API, with boto3 and the aws CLI against a real
server: shapes and defaults per source, states and their transitions, List filters and
pages, every error AWS records for bad mappings, and the extensions switch for OnSuccess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ARN = "arn:aws:lambda:us-east-1:000000000000"
CODE = "def handler(event, context):\n    return None\n"
SQS_KEYS = {
    "UUID", "BatchSize", "MaximumBatchingWindowInSeconds", "EventSourceArn", "FunctionArn",
    "LastModified", "State", "StateTransitionReason", "FunctionResponseTypes",
    "EventSourceMappingArn",
}  # fmt: skip
STREAM_KEYS = SQS_KEYS | {
    "StartingPosition", "ParallelizationFactor", "LastProcessingResult", "DestinationConfig",
    "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
}  # fmt: skip
_names = iter(range(1_000_000))


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


@pytest.fixture(scope="module")
def kinesis(server: Server) -> Any:
    return server.client("kinesis")


def queue_arn(sqs: Any, fifo: bool = False) -> str:
    name = _name("q") + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(got["Attributes"]["QueueArn"])


def stream_arn(kinesis: Any) -> str:
    name = _name("s")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return str(summary["StreamARN"])


def body(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = caught.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, response["Error"]["Code"], response["Error"]["Message"]


# shapes and defaults --------------------------------------------------------------------


def test_an_sqs_mapping_answers_creating_with_aws_shape_then_lands_enabled(
    lam: Any, sqs: Any
) -> None:
    fn, source = create(lam, CODE), queue_arn(sqs)
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=source)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    doc = body(created)
    assert set(doc) == SQS_KEYS
    assert UUID.match(doc["UUID"])
    assert doc["EventSourceMappingArn"] == f"{ARN}:event-source-mapping:{doc['UUID']}"
    assert doc["FunctionArn"] == f"{ARN}:function:{fn}"
    assert (doc["EventSourceArn"], doc["BatchSize"], doc["MaximumBatchingWindowInSeconds"]) == (
        source, 10, 0
    )  # fmt: skip
    assert (doc["State"], doc["StateTransitionReason"]) == ("Creating", "USER_INITIATED")
    assert doc["FunctionResponseTypes"] == [] and doc["LastModified"] > before
    got = body(lam.get_event_source_mapping(UUID=doc["UUID"]))
    assert got["State"] == "Enabled"
    assert got["LastProcessingResult"] == "No records processed"
    assert {k: v for k, v in got.items() if k not in ("State", "LastProcessingResult")} == {
        k: v for k, v in doc.items() if k != "State"
    }


def test_a_kinesis_mapping_has_the_stream_defaults(lam: Any, kinesis: Any) -> None:
    fn, source = create(lam, CODE), stream_arn(kinesis)
    doc = body(
        lam.create_event_source_mapping(
            FunctionName=fn, EventSourceArn=source, StartingPosition="LATEST"
        )
    )
    assert set(doc) == STREAM_KEYS
    assert {k: doc[k] for k in STREAM_KEYS - SQS_KEYS} == {
        "StartingPosition": "LATEST",
        "ParallelizationFactor": 1,
        "LastProcessingResult": "No records processed",
        "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": False,
        "MaximumRetryAttempts": -1,
        "TumblingWindowInSeconds": 0,
    }
    assert (doc["BatchSize"], doc["State"], doc["StateTransitionReason"]) == (
        100, "Creating", "User action"
    )  # fmt: skip
    assert lam.get_event_source_mapping(UUID=doc["UUID"])["State"] == "Enabled"


def test_every_member_that_applies_is_stored_and_echoed(lam: Any, sqs: Any, kinesis: Any) -> None:
    fn = create(lam, CODE)
    pattern = '{"body": {"status": ["ERROR"]}}'
    on_failure = queue_arn(sqs)
    at = datetime.now(UTC) - timedelta(minutes=5)
    stream = body(
        lam.create_event_source_mapping(
            FunctionName=fn,
            EventSourceArn=stream_arn(kinesis),
            StartingPosition="AT_TIMESTAMP",
            StartingPositionTimestamp=at,
            BatchSize=500,
            MaximumBatchingWindowInSeconds=5,
            ParallelizationFactor=10,
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=3,
            MaximumRecordAgeInSeconds=3600,
            TumblingWindowInSeconds=60,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            FilterCriteria={"Filters": [{"Pattern": pattern}]},
            DestinationConfig={"OnFailure": {"Destination": on_failure}},
        )
    )
    got = body(lam.get_event_source_mapping(UUID=stream["UUID"]))
    # boto3 sends whole seconds
    assert abs(got["StartingPositionTimestamp"].timestamp() - at.timestamp()) < 1
    assert {k: got[k] for k in ("BatchSize", "MaximumBatchingWindowInSeconds")} == {
        "BatchSize": 500, "MaximumBatchingWindowInSeconds": 5
    }  # fmt: skip
    assert (got["ParallelizationFactor"], got["BisectBatchOnFunctionError"]) == (10, True)
    assert (got["MaximumRetryAttempts"], got["MaximumRecordAgeInSeconds"]) == (3, 3600)
    assert got["TumblingWindowInSeconds"] == 60
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert got["DestinationConfig"] == {"OnFailure": {"Destination": on_failure}}
    queue = body(
        lam.create_event_source_mapping(
            FunctionName=fn,
            EventSourceArn=queue_arn(sqs),
            BatchSize=1000,
            MaximumBatchingWindowInSeconds=30,
            ScalingConfig={"MaximumConcurrency": 5},
            FunctionResponseTypes=["ReportBatchItemFailures"],
            Enabled=False,
        )
    )
    assert queue["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert queue["State"] == "Disabled"  # recorded: straight to Disabled for SQS
    assert (queue["BatchSize"], queue["MaximumBatchingWindowInSeconds"]) == (1000, 30)


def test_a_qualified_function_is_echoed_and_must_exist(lam: Any, sqs: Any) -> None:
    fn = create(lam, CODE)
    version = lam.publish_version(FunctionName=fn)["Version"]
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion=version)
    by_alias = lam.create_event_source_mapping(
        FunctionName=f"{fn}:live", EventSourceArn=queue_arn(sqs)
    )
    assert by_alias["FunctionArn"] == f"{ARN}:function:{fn}:live"
    by_version = lam.create_event_source_mapping(
        FunctionName=f"{ARN}:function:{fn}:{version}", EventSourceArn=queue_arn(sqs)
    )
    assert by_version["FunctionArn"] == f"{ARN}:function:{fn}:{version}"
    for missing in (f"{fn}:nope", f"{fn}:99"):
        with pytest.raises(ClientError) as caught:
            lam.create_event_source_mapping(FunctionName=missing, EventSourceArn=queue_arn(sqs))
        assert error(caught) == (400, "InvalidParameterValueException", "Function does not exist")


# states ---------------------------------------------------------------------------------


def test_enabling_disabling_and_updating_pass_their_states(lam: Any, sqs: Any) -> None:
    fn = create(lam, CODE)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue_arn(sqs))["UUID"]
    steps = [
        ({"Enabled": False}, "Disabling", "Disabled"),
        ({"BatchSize": 5}, "Updating", "Disabled"),
        ({"Enabled": True}, "Enabling", "Enabled"),
        ({"BatchSize": 7, "Enabled": True}, "Updating", "Enabled"),
    ]
    for change, answered, landed in steps:
        updated = lam.update_event_source_mapping(UUID=uuid, **change)
        assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert updated["State"] == answered
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == landed
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["BatchSize"] == 7 and got["StateTransitionReason"] == "USER_INITIATED"


def test_a_stream_mapping_created_disabled_lands_disabled(lam: Any, kinesis: Any) -> None:
    fn = create(lam, CODE)
    created = lam.create_event_source_mapping(
        FunctionName=fn, EventSourceArn=stream_arn(kinesis), StartingPosition="TRIM_HORIZON",
        Enabled=False,
    )  # fmt: skip
    assert created["State"] == "Creating"
    assert lam.get_event_source_mapping(UUID=created["UUID"])["State"] == "Disabled"


def test_a_delete_right_after_a_create_answers_deleting_and_the_mapping_goes(
    lam: Any, sqs: Any
) -> None:
    fn, source = create(lam, CODE), queue_arn(sqs)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=source)["UUID"]
    deleted = lam.delete_event_source_mapping(UUID=uuid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (deleted["State"], deleted["UUID"], deleted["EventSourceArn"]) == (
        "Deleting", uuid, source
    )  # fmt: skip
    for call in (
        lambda: lam.get_event_source_mapping(UUID=uuid),
        lambda: lam.delete_event_source_mapping(UUID=uuid),
        lambda: lam.update_event_source_mapping(UUID=uuid, BatchSize=1),
    ):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
            call()
        assert error(caught) == (
            404, "ResourceNotFoundException", "The resource you requested does not exist."
        )  # fmt: skip
    # The pair is free again.
    lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=source)


def test_a_mapping_can_move_to_another_function_unless_that_pair_is_taken(
    lam: Any, sqs: Any
) -> None:
    one, two, source = create(lam, CODE), create(lam, CODE), queue_arn(sqs)
    first = lam.create_event_source_mapping(FunctionName=one, EventSourceArn=source)["UUID"]
    moved = lam.update_event_source_mapping(UUID=first, FunctionName=two)
    assert moved["FunctionArn"] == f"{ARN}:function:{two}"
    second = lam.create_event_source_mapping(FunctionName=one, EventSourceArn=source)["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.update_event_source_mapping(UUID=second, FunctionName=two)
    status, code, message = error(caught)
    assert (status, code) == (409, "ResourceConflictException")
    assert message.endswith(f"existing mapping with UUID {first}")


# List -----------------------------------------------------------------------------------


def test_list_filters_by_source_and_function_and_pages(lam: Any, sqs: Any) -> None:
    fn, other = create(lam, CODE), create(lam, CODE)
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="$LATEST")
    sources = [queue_arn(sqs) for _ in range(3)]
    mine = [
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=s)["UUID"] for s in sources
    ]
    aliased = lam.create_event_source_mapping(FunctionName=f"{fn}:live", EventSourceArn=sources[0])[
        "UUID"
    ]
    theirs = lam.create_event_source_mapping(FunctionName=other, EventSourceArn=sources[0])["UUID"]

    def listed(**filters: Any) -> list[str]:
        return [m["UUID"] for m in lam.list_event_source_mappings(**filters)["EventSourceMappings"]]

    assert listed(FunctionName=fn) == [*mine, aliased]
    assert listed(FunctionName=f"{ARN}:function:{fn}") == [*mine, aliased]
    assert listed(FunctionName=f"{fn}:live") == [aliased]
    assert listed(EventSourceArn=sources[0]) == [mine[0], aliased, theirs]
    assert listed(EventSourceArn=sources[0], FunctionName=other) == [theirs]
    assert listed(EventSourceArn=sources[1], FunctionName=other) == []
    first = lam.list_event_source_mappings(FunctionName=fn, MaxItems=2)
    assert [m["UUID"] for m in first["EventSourceMappings"]] == mine[:2]
    rest = lam.list_event_source_mappings(FunctionName=fn, MaxItems=2, Marker=first["NextMarker"])
    assert [m["UUID"] for m in rest["EventSourceMappings"]] == [mine[2], aliased]
    assert "NextMarker" not in rest
    pages = lam.get_paginator("list_event_source_mappings").paginate(
        FunctionName=fn, PaginationConfig={"PageSize": 1}
    )
    assert [m["UUID"] for p in pages for m in p["EventSourceMappings"]] == [*mine, aliased]
    everything = listed()
    assert {*mine, aliased, theirs} <= set(everything)


def test_a_page_holds_at_most_a_hundred(lam: Any, sqs: Any) -> None:
    source = queue_arn(sqs)
    for _ in range(101):
        lam.create_event_source_mapping(
            FunctionName=create(lam, CODE, wait=False), EventSourceArn=source
        )
    page = lam.list_event_source_mappings(EventSourceArn=source, MaxItems=1000)
    assert len(page["EventSourceMappings"]) == 100 and "NextMarker" in page


# errors ---------------------------------------------------------------------------------

BATCH_WINDOW = (
    "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater "
    "than 10"
)
UNSUPPORTED_DESTINATION = (
    "Unsupported DestinationConfig parameter for given event source mapping type."
)


@pytest.mark.parametrize(
    ("source", "params", "expected"),
    [
        ("queue", {"BatchSize": 11}, (400, "InvalidParameterValueException", BATCH_WINDOW)),
        (None, {}, (400, "InvalidParameterValueException", "Unrecognized event source.")),
        (
            "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000",
            {"StartingPosition": "LATEST"},
            (
                400,
                "InvalidParameterValueException",
                "Stream not found: "
                "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000",
            ),
        ),
        (
            "arn:aws:sqs:us-east-1:000000000000:no-such-queue",
            {},
            (
                400,
                "InvalidParameterValueException",
                "Error occurred while ReceiveMessage. SQS Error Code: "
                "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified "
                "queue does not exist.",
            ),
        ),
        (
            "arn:aws:kinesis:us-east-1:000000000000:stream/no-such-stream",
            {"StartingPosition": "LATEST"},
            (
                400,
                "InvalidParameterValueException",
                "Stream not found: arn:aws:kinesis:us-east-1:000000000000:stream/no-such-stream",
            ),
        ),
        (
            "stream",
            {},
            (
                400,
                "InvalidParameterValueException",
                "1 validation error detected: Value null at 'startingPosition' failed to "
                "satisfy constraint: Member must not be null.",
            ),
        ),
        (
            "queue",
            {"ParallelizationFactor": 2},
            (
                400,
                "InvalidParameterValueException",
                "Unsupported 'parallelizationFactor' parameter for given event source "
                "mapping type.",
            ),
        ),
        (
            "stream",
            {"StartingPosition": "LATEST", "ScalingConfig": {"MaximumConcurrency": 2}},
            (
                400,
                "InvalidParameterValueException",
                "Unsupported 'scalingConfig' parameter for given event source mapping type.",
            ),
        ),
        (
            "queue",
            {"StartingPosition": "LATEST"},
            (
                400,
                "InvalidParameterValueException",
                "StartingPosition is not valid for SQS event sources.",
            ),
        ),
        (
            "queue",
            {
                "DestinationConfig": {
                    "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:x"}
                }
            },
            (400, "InvalidParameterValueException", UNSUPPORTED_DESTINATION),
        ),
        (
            "stream",
            {
                "StartingPosition": "LATEST",
                "DestinationConfig": {
                    "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:000000000000:x"}
                },
            },
            (400, "InvalidParameterValueException", UNSUPPORTED_DESTINATION),
        ),
        (
            "queue",
            {"FilterCriteria": {"Filters": [{"Pattern": '{"body": "not a list"}'}]}},
            (400, "InvalidParameterValueException", "Invalid filter pattern definition."),
        ),
        (
            "queue",
            {"FilterCriteria": {"Filters": [{"Pattern": '{"body": {"a": [1]}}'}] * 6}},
            (
                400,
                "InvalidParameterValueException",
                "The number of filters (6) exceeds the limit of 5 filters per event source "
                "mapping.",
            ),
        ),
    ],
)
def test_bad_mappings_get_aws_errors_and_the_server_keeps_serving(
    lam: Any,
    sqs: Any,
    kinesis: Any,
    source: str | None,
    params: dict[str, Any],
    expected: tuple[int, str, str],
) -> None:
    fn = create(lam, CODE)
    if source == "queue":
        params = {"EventSourceArn": queue_arn(sqs), **params}
    elif source == "stream":
        params = {"EventSourceArn": stream_arn(kinesis), **params}
    elif source is not None:
        params = {"EventSourceArn": source, **params}
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(FunctionName=fn, **params)
    assert error(caught) == expected
    assert lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"] == []


def test_an_unknown_function_and_a_bad_starting_position(lam: Any, kinesis: Any) -> None:
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(
            FunctionName=_name("missing"), EventSourceArn=stream_arn(kinesis),
            StartingPosition="LATEST",
        )  # fmt: skip
    assert error(caught) == (400, "InvalidParameterValueException", "Function does not exist")
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(
            FunctionName=create(lam, CODE), EventSourceArn=stream_arn(kinesis),
            StartingPosition="invalid",
        )  # fmt: skip
    status, code, message = error(caught)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "1 validation error detected: Value 'invalid' at 'startingPosition' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    )


def test_a_second_mapping_of_one_source_and_function_conflicts(
    lam: Any, sqs: Any, kinesis: Any
) -> None:
    fn, queue, stream = create(lam, CODE), queue_arn(sqs), stream_arn(kinesis)
    first = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue)["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue, BatchSize=1)
    assert error(caught) == (
        409,
        "ResourceConflictException",
        f'An event source mapping with SQS arn (" {queue} ") and function (" {fn} ") already '
        f"exists. Please update or delete the existing mapping with UUID {first}",
    )
    kw = {"FunctionName": fn, "EventSourceArn": stream, "StartingPosition": "LATEST"}
    other = lam.create_event_source_mapping(**kw)["UUID"]
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        lam.create_event_source_mapping(**kw)
    assert error(caught) == (
        409,
        "ResourceConflictException",
        f'The event source arn (" {stream} ") and function (" {fn} ") provided mapping already '
        f"exists. Please update or delete the existing mapping with UUID {other}",
    )


def test_an_update_is_checked_like_a_create(lam: Any, sqs: Any) -> None:
    fn = create(lam, CODE)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue_arn(sqs))["UUID"]
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(UUID=uuid, BatchSize=100)
    assert error(caught) == (400, "InvalidParameterValueException", BATCH_WINDOW)
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(UUID=uuid, MaximumRetryAttempts=1)
    assert error(caught)[2].startswith("Unsupported 'maximumRetryAttempts' parameter")
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(UUID=uuid, FunctionName=_name("missing"))
    assert error(caught) == (400, "InvalidParameterValueException", "Function does not exist")
    wide = lam.update_event_source_mapping(
        UUID=uuid, BatchSize=100, MaximumBatchingWindowInSeconds=1
    )
    assert (wide["BatchSize"], wide["MaximumBatchingWindowInSeconds"]) == (100, 1)
    pattern = '{"body": {"a": [1]}}'
    filtered = lam.update_event_source_mapping(
        UUID=uuid, FilterCriteria={"Filters": [{"Pattern": pattern}]}
    )
    assert filtered["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    cleared = lam.update_event_source_mapping(UUID=uuid, FilterCriteria={})
    assert "FilterCriteria" not in cleared


# the aws CLI ----------------------------------------------------------------------------


def aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", server.endpoint, "lambda", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_the_aws_cli_creates_lists_updates_and_deletes(server: Server, lam: Any, sqs: Any) -> None:
    fn, source = create(lam, CODE), queue_arn(sqs)
    made = aws(
        server, "create-event-source-mapping", "--function-name", fn,
        "--event-source-arn", source, "--batch-size", "5",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    uuid = json.loads(made.stdout)["UUID"]
    assert json.loads(made.stdout)["State"] == "Creating"
    listed = aws(server, "list-event-source-mappings", "--function-name", fn)
    assert [m["UUID"] for m in json.loads(listed.stdout)["EventSourceMappings"]] == [uuid]
    got = json.loads(aws(server, "get-event-source-mapping", "--uuid", uuid).stdout)
    assert (got["State"], got["BatchSize"]) == ("Enabled", 5)
    disabled = aws(server, "update-event-source-mapping", "--uuid", uuid, "--no-enabled")
    assert json.loads(disabled.stdout)["State"] == "Disabling"
    bad = aws(server, "update-event-source-mapping", "--uuid", uuid, "--batch-size", "11")
    assert bad.returncode != 0
    assert "(InvalidParameterValueException)" in bad.stderr and BATCH_WINDOW in bad.stderr
    deleted = aws(server, "delete-event-source-mapping", "--uuid", uuid)
    assert json.loads(deleted.stdout)["State"] == "Deleting"
    gone = aws(server, "get-event-source-mapping", "--uuid", uuid)
    assert gone.returncode != 0 and "(ResourceNotFoundException)" in gone.stderr


# the lambdalite CLI ---------------------------------------------------------------------


def test_lambdalite_mappings_lists_and_shows(server: Server, lam: Any, sqs: Any) -> None:
    fn, source = create(lam, CODE), queue_arn(sqs)
    uuid = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=source)["UUID"]
    drain(server.endpoint)  # its poller runs, and counts
    env = {**os.environ, "LAMBDALITE_ENDPOINT": server.endpoint}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "lambdalite.cli.main", "mappings", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    table = run("--function", fn)
    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split() == [
        "UUID", "FUNCTION", "SOURCE", "STATE", "BATCHES", "ERRORS", "AGE", "MS/DEPTH", "LAST",
        "RESULT",
    ]  # fmt: skip
    assert row.split(maxsplit=7) == [
        uuid,
        fn,
        source,
        "Enabled",
        "0",
        "0",
        "0",  # the queue's depth
        "No records processed",
    ]
    shown = run(uuid)
    assert f"EventSourceArn                  {source}" in shown.stdout.splitlines()
    missing = run("00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ResourceNotFoundException: The resource you")


# the extensions switch ------------------------------------------------------------------


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("extended"), "--no-example", env={"LAMBDALITE_EXTENSIONS": "1"}
    )
    yield srv
    stop_server(srv)


def test_with_extensions_on_success_is_accepted_and_stored(
    extended: Server, tmp_path: Path
) -> None:
    lam, sqs, kinesis = (
        extended.client("lambda"),
        extended.client("sqs"),
        extended.client("kinesis"),
    )
    fn = create(lam, CODE)
    target = queue_arn(sqs)
    topic = extended.client("sns").create_topic(Name=_name("t"))["TopicArn"]
    queue = body(
        lam.create_event_source_mapping(
            FunctionName=fn,
            EventSourceArn=queue_arn(sqs),
            DestinationConfig={"OnSuccess": {"Destination": topic}},
        )
    )
    assert queue["DestinationConfig"] == {"OnSuccess": {"Destination": topic}}
    stream = body(
        lam.create_event_source_mapping(
            FunctionName=fn,
            EventSourceArn=stream_arn(kinesis),
            StartingPosition="LATEST",
            DestinationConfig={"OnSuccess": {"Destination": target}},
        )
    )
    assert stream["DestinationConfig"] == {"OnSuccess": {"Destination": target}, "OnFailure": {}}
    got = lam.get_event_source_mapping(UUID=stream["UUID"])
    assert got["DestinationConfig"]["OnSuccess"] == {"Destination": target}
    bad = f"{ARN}:function:{fn}"
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(
            UUID=stream["UUID"], DestinationConfig={"OnSuccess": {"Destination": bad}}
        )
    assert error(caught)[:2] == (400, "InvalidParameterValueException")
    # SQS still takes no OnFailure: a queue's failures go to its own redrive policy.
    with pytest.raises(ClientError) as caught:
        lam.update_event_source_mapping(
            UUID=queue["UUID"], DestinationConfig={"OnFailure": {"Destination": target}}
        )
    assert error(caught) == (400, "InvalidParameterValueException", UNSUPPORTED_DESTINATION)
    cleared = lam.update_event_source_mapping(
        UUID=queue["UUID"], DestinationConfig={"OnSuccess": {}}
    )
    assert "DestinationConfig" not in cleared

"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s) through boto3 (spec 3.4)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, create
from tests.acceptance.test_async_invoke import ECHO, vlam, vserver  # noqa: F401

REGION_ACCOUNT = "us-east-1:000000000000"
QUEUE = f"arn:aws:sqs:{REGION_ACCOUNT}:some-queue"
TOPIC = f"arn:aws:sns:{REGION_ACCOUNT}:some-topic"


def error(info: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = info.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def test_put_get_update_list_delete(vlam: Any) -> None:  # noqa: F811
    name = create(vlam, ECHO)
    arn = vlam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    put = vlam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": QUEUE}},
    )
    assert put["FunctionArn"] == f"{arn}:$LATEST"
    assert put["MaximumRetryAttempts"] == 1 and "MaximumEventAgeInSeconds" not in put
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": QUEUE}}
    got = vlam.get_function_event_invoke_config(FunctionName=name)
    assert got["LastModified"] == put["LastModified"]
    # Update merges; Put replaces
    updated = vlam.update_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=600
    )
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 600
    assert updated["DestinationConfig"]["OnFailure"] == {"Destination": QUEUE}
    replaced = vlam.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=60)
    assert "MaximumRetryAttempts" not in replaced
    assert replaced["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    vlam.publish_version(FunctionName=name)
    with pytest.raises(vlam.exceptions.ResourceNotFoundException) as info:
        vlam.get_function_event_invoke_config(FunctionName=name, Qualifier="1")
    assert error(info)[2] == f"The function {arn}:1 doesn't have an EventInvokeConfig"
    vlam.put_function_event_invoke_config(FunctionName=f"{name}:1", MaximumRetryAttempts=0)
    listed = vlam.list_function_event_invoke_configs(FunctionName=name)[
        "FunctionEventInvokeConfigs"
    ]
    assert [c["FunctionArn"] for c in listed] == [f"{arn}:$LATEST", f"{arn}:1"]
    page = vlam.list_function_event_invoke_configs(FunctionName=name, MaxItems=1)
    assert len(page["FunctionEventInvokeConfigs"]) == 1 and page["NextMarker"]
    rest = vlam.list_function_event_invoke_configs(FunctionName=name, Marker=page["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionEventInvokeConfigs"]] == [f"{arn}:1"]
    deleted = vlam.delete_function_event_invoke_config(FunctionName=name, Qualifier="1")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(vlam.exceptions.ResourceNotFoundException):
        vlam.delete_function_event_invoke_config(FunctionName=name, Qualifier="1")
    with pytest.raises(vlam.exceptions.ResourceNotFoundException):
        vlam.update_function_event_invoke_config(
            FunctionName=name, Qualifier="1", MaximumRetryAttempts=1
        )


def test_validation_errors(vserver: Server, vlam: Any) -> None:  # noqa: F811
    raw = vserver.client("lambda", parameter_validation=False)  # let the server validate
    name = create(vlam, ECHO)
    other = create(vlam, ECHO)
    arn = vlam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    other_arn = vlam.get_function(FunctionName=other)["Configuration"]["FunctionArn"]
    with pytest.raises(ClientError) as info:
        vlam.put_function_event_invoke_config(FunctionName=name)
    assert error(info) == (
        400,
        "InvalidParameterValueException",
        "You must specify at least one of error handling or destination setting.",
    )
    vlam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={})  # counts as set
    with pytest.raises(ClientError) as info:
        raw.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=3)
    assert error(info)[:2] == (400, "ValidationException")
    with pytest.raises(ClientError) as info:
        raw.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=59)
    assert error(info)[:2] == (400, "ValidationException")
    missing = f"arn:aws:lambda:{REGION_ACCOUNT}:function:doesnotexist"
    with pytest.raises(ClientError) as info:
        vlam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": missing}}
        )
    assert error(info) == (
        400,
        "InvalidParameterValueException",
        f"The destination ARN {missing} is invalid.",
    )
    with pytest.raises(ClientError) as info:
        vlam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
        )
    assert error(info)[2] == "You can't specify the function as a destination for itself."
    iam = "arn:aws:iam::000000000000:role/some-role"
    with pytest.raises(ClientError) as info:
        vlam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": iam}}
        )
    assert error(info)[2] == (
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam}),"
        " onFailure=null) is invalid."
    )
    with pytest.raises(ClientError) as info:
        vlam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": "not-an-arn"}}
        )
    assert error(info)[:2] == (400, "ValidationException")
    assert "destinationConfig.onFailure.destination" in error(info)[2]
    ok = vlam.put_function_event_invoke_config(
        FunctionName=name,
        DestinationConfig={
            "OnSuccess": {"Destination": other_arn},
            "OnFailure": {"Destination": TOPIC},
        },
    )
    assert ok["DestinationConfig"]["OnSuccess"] == {"Destination": other_arn}


def test_missing_function_and_qualifier(vlam: Any) -> None:  # noqa: F811
    name = create(vlam, ECHO)
    for call in (
        lambda: vlam.put_function_event_invoke_config(FunctionName="nope", MaximumRetryAttempts=1),
        lambda: vlam.list_function_event_invoke_configs(FunctionName="nope"),
        lambda: vlam.put_function_event_invoke_config(
            FunctionName=name, Qualifier="9", MaximumRetryAttempts=1
        ),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert error(info) == (404, "ResourceNotFoundException", "The function doesn't exist.")
    with pytest.raises(ClientError) as info:
        vlam.get_function_event_invoke_config(FunctionName=f"{name}:1", Qualifier="2")
    assert error(info)[:2] == (400, "InvalidParameterValueException")

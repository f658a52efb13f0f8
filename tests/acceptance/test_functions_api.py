"""The functions control plane through boto3 against a real server process."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from tests.acceptance.conftest import ROLE, Server, create, zip_source

ECHO = "def handler(event, context):\n    return event\n"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_reports_pending_then_active(lam: Any) -> None:
    name = create(
        lam,
        ECHO,
        wait=False,
        MemorySize=256,
        Timeout=10,
        Environment={"Variables": {"AA": "1"}},
        Description="d",
    )
    created = lam.get_function_configuration(FunctionName=name)
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    got = lam.get_function(FunctionName=name)
    config = got["Configuration"]
    assert config["State"] == "Active"
    assert config["LastUpdateStatus"] == "Successful"
    assert created["State"] in ("Pending", "Active")
    assert config["MemorySize"] == 256 and config["Timeout"] == 10
    assert config["Environment"] == {"Variables": {"AA": "1"}}
    assert config["Version"] == "$LATEST"
    assert config["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    expected_sha = base64.b64encode(hashlib.sha256(zip_source(ECHO)).digest()).decode()
    assert config["CodeSha256"] == expected_sha
    zipped = httpx.get(got["Code"]["Location"]).content
    assert zipped == zip_source(ECHO)


def test_create_response_is_pending(lam: Any) -> None:
    name = f"pending-{id(lam)}"
    response = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_source(ECHO)},
    )
    assert response["State"] == "Pending"
    assert response["StateReasonCode"] == "Creating"


def test_duplicate_create_conflicts(lam: Any) -> None:
    name = create(lam, ECHO)
    with pytest.raises(ClientError) as raised:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_source(ECHO)},
        )
    assert error_of(raised)[:2] == ("ResourceConflictException", 409)


def test_list_functions_paginates(lam: Any) -> None:
    names = {create(lam, ECHO) for _ in range(3)}
    first = lam.list_functions(MaxItems=2)
    assert len(first["Functions"]) == 2 and "NextMarker" in first
    seen = set()
    for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}):
        seen.update(f["FunctionName"] for f in page["Functions"])
    assert names <= seen


def test_update_configuration_and_code(lam: Any) -> None:
    name = create(lam, ECHO)
    updated = lam.update_function_configuration(
        FunctionName=name,
        Timeout=7,
        MemorySize=512,
        Handler="app.other",
        EphemeralStorage={"Size": 1024},
        Description="new",
        Environment={"Variables": {"KEY": "V"}},
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    config = lam.get_function_configuration(FunctionName=name)
    assert (config["Timeout"], config["MemorySize"], config["Handler"]) == (7, 512, "app.other")
    assert config["EphemeralStorage"] == {"Size": 1024}
    assert config["LastUpdateStatus"] == "Successful"
    new_zip = zip_source("def other(e, c):\n    return 'v2'\n")
    code = lam.update_function_code(FunctionName=name, ZipFile=new_zip)
    assert code["CodeSha256"] == base64.b64encode(hashlib.sha256(new_zip).digest()).decode()


def test_publish_versions_and_list(lam: Any) -> None:
    name = create(lam, ECHO)
    v1 = lam.publish_version(FunctionName=name, Description="first")
    assert v1["Version"] == "1"
    again = lam.publish_version(FunctionName=name)
    assert again["Version"] == "1"  # nothing changed since version 1
    lam.update_function_configuration(FunctionName=name, Timeout=9)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    with pytest.raises(ClientError) as raised:
        lam.publish_version(FunctionName=name, CodeSha256="nope")
    assert error_of(raised)[0] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as raised:
        lam.publish_version(FunctionName=name, RevisionId="not-the-revision")
    assert error_of(raised)[:2] == ("PreconditionFailedException", 412)


def test_delete_version_and_function(lam: Any) -> None:
    name = create(lam, ECHO)
    lam.publish_version(FunctionName=name)
    with pytest.raises(ClientError) as raised:
        lam.delete_function(FunctionName=name, Qualifier="$LATEST")
    assert error_of(raised)[2] == "$LATEST version cannot be deleted without deleting the function."
    lam.delete_function(FunctionName=name, Qualifier="1")
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as raised:
        lam.get_function(FunctionName=name)
    code, status, message = error_of(raised)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert (
        message
        == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}:$LATEST"
    )


def test_aliases_with_routing(lam: Any) -> None:
    name = create(lam, ECHO)
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Timeout=5)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    lam.publish_version(FunctionName=name)
    alias = lam.create_alias(
        FunctionName=name,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    assert alias["AliasArn"].endswith(f":function:{name}:live")
    assert lam.get_alias(FunctionName=name, Name="live")["RoutingConfig"] == {
        "AdditionalVersionWeights": {"2": 0.5}
    }
    with pytest.raises(ClientError) as raised:
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert error_of(raised)[:2] == ("ResourceConflictException", 409)
    with pytest.raises(ClientError) as raised:
        lam.create_alias(
            FunctionName=name,
            Name="bad",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
    assert "already included in routing configuration" in error_of(raised)[2]
    updated = lam.update_alias(
        FunctionName=name,
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    assert updated["FunctionVersion"] == "2"
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as raised:
        lam.delete_function(FunctionName=name, Qualifier="2")
    assert error_of(raised)[:2] == ("ResourceConflictException", 409)
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ClientError) as raised:
        lam.get_alias(FunctionName=name, Name="live")
    assert error_of(raised)[:2] == ("ResourceNotFoundException", 404)


def test_reserved_concurrency(lam: Any) -> None:
    name = create(lam, ECHO)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] <= 995
    with pytest.raises(ClientError) as raised:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    assert "below its minimum value of [100]" in error_of(raised)[2]
    with pytest.raises(ClientError) as raised:
        lam.put_function_concurrency(FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)
    assert error_of(raised)[0] == "InvalidParameterValueException"
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)


@pytest.mark.parametrize(
    ("member", "value", "constraint"),
    [
        ("MemorySize", 64, "Member must have value greater than or equal to 128"),
        ("Timeout", 0, "Member must have value greater than or equal to 1"),
        ("Runtime", "cobol", "Member must satisfy enum value set"),
    ],
)
def test_model_constraints_are_checked_by_the_server(
    server: Server, member: str, value: Any, constraint: str
) -> None:
    body = {
        "FunctionName": "x-valid",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(zip_source(ECHO)).decode()},
        member: value,
    }
    response = httpx.post(f"{server.endpoint}/2015-03-31/functions", json=body)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "ValidationException"
    message = response.json()["message"]
    assert message.startswith("1 validation error detected: Value ")
    assert constraint in message


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"Timeout": 901}, "InvalidParameterValueException"),
        ({"Runtime": "java21"}, "InvalidParameterValueException"),
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException"),
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException"),
    ],
)
def test_invalid_create_requests(lam: Any, overrides: dict[str, Any], code: str) -> None:
    params: dict[str, Any] = {
        "FunctionName": "invalid-one",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_source(ECHO)},
    }
    params.update(overrides)
    with pytest.raises(ClientError) as raised:
        lam.create_function(**params)
    assert error_of(raised)[0] == code
    assert error_of(raised)[1] == 400


def test_server_keeps_serving_after_malformed_requests(server: Server, lam: Any) -> None:
    for body in (b"{not json", b"[]", b'{"FunctionName": 5}'):
        response = httpx.post(f"{server.endpoint}/2015-03-31/functions", content=body)
        assert response.status_code == 400
        assert "Traceback" not in response.text
        assert response.headers["x-amzn-errortype"]
    response = httpx.get(f"{server.endpoint}/2015-03-31/nothing-here")
    assert response.status_code == 404
    assert lam.list_functions()["Functions"] is not None


def test_boto3_side_validation_still_applies(lam: Any) -> None:
    with pytest.raises(ParamValidationError):
        lam.create_function(FunctionName="x")


def test_unknown_and_mistyped_members_are_invalid_request_content(server: Server) -> None:
    base = {
        "FunctionName": "typed",
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(zip_source(ECHO)).decode()},
    }
    for body in ({**base, "Foo": 1}, {**base, "MemorySize": "lots"}, {**base, "Code": []}):
        response = httpx.post(f"{server.endpoint}/2015-03-31/functions", json=body)
        assert response.status_code == 400
        assert response.headers["x-amzn-errortype"] == "InvalidRequestContentException"
        assert response.json()["message"].startswith("Could not parse request body into json")

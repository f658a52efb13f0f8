"""Constraint messages, worded as AWS's framework words them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.model import ServiceModel

from lambdalite.api.rest_json import parse_request
from lambdalite.api.service_model import load_service
from lambdalite.api.wire_validate import collect_errors, render_value, validate
from lambdalite.errors import ValidationException

ROLE = "arn:aws:iam::123456789012:role/r"
OK = {"FunctionName": "f", "Role": ROLE, "Code": {}}
PREFIX = "1 validation error detected: "


@pytest.fixture(scope="module")
def service() -> ServiceModel:
    return load_service("lambda")


def create_errors(service: ServiceModel, **params: Any) -> list[str]:
    return collect_errors(service.operation_model("CreateFunction").input_shape, params)


def one_error(service: ServiceModel, op: str, params: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as exc:
        validate(service.operation_model(op).input_shape, params)
    message = exc.value.message
    assert message.startswith(PREFIX), message
    return message[len(PREFIX) :]


def test_load_service_is_cached() -> None:
    assert load_service("lambda") is load_service("lambda")


def test_every_pattern_in_the_model_compiles(service: ServiceModel) -> None:
    patterns = {
        service.shape_for(n).metadata["pattern"]
        for n in service.shape_names
        if "pattern" in service.shape_for(n).metadata
    }
    assert len(patterns) > 40
    from lambdalite.api.wire_validate import _compiled

    for pattern in patterns:
        assert isinstance(_compiled(pattern), re.Pattern)


def test_valid_input_has_no_errors(service: ServiceModel) -> None:
    assert create_errors(service, **OK) == []


def test_required_member_missing(service: ServiceModel) -> None:
    assert one_error(service, "CreateFunction", {"FunctionName": "f", "Code": {}}) == (
        "Value null at 'role' failed to satisfy constraint: Member must not be null"
    )


def test_number_range(service: ServiceModel) -> None:
    assert one_error(service, "CreateFunction", {**OK, "MemorySize": 127}) == (
        "Value '127' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )
    assert one_error(service, "CreateFunction", {**OK, "Timeout": 0}).endswith(
        "Member must have value greater than or equal to 1"
    )
    message = one_error(
        service, "PutFunctionConcurrency", {"FunctionName": "f", "ReservedConcurrentExecutions": -1}
    )
    assert message == (
        "Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: "
        "Member must have value greater than or equal to 0"
    )


def test_string_length_and_pattern(service: ServiceModel) -> None:
    assert one_error(service, "CreateFunction", {**OK, "Description": "d" * 257}) == (
        f"Value '{'d' * 257}' at 'description' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )
    pattern = service.shape_for("RoleArn").metadata["pattern"]
    assert one_error(service, "CreateFunction", {**OK, "Role": "nope"}) == (
        "Value 'nope' at 'role' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}"
    )


def test_pattern_is_a_full_match(service: ServiceModel) -> None:
    errors = create_errors(service, **{**OK, "FunctionName": "ok-name!"})
    assert errors and "regular expression pattern" in errors[0]


def test_enum(service: ServiceModel) -> None:
    assert one_error(service, "CreateFunction", {**OK, "PackageType": "Jar"}) == (
        "Value 'Jar' at 'packageType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Zip, Image]"
    )


def test_member_path_lowercases_only_the_first_letter(service: ServiceModel) -> None:
    assert one_error(service, "CreateFunction", {**OK, "KMSKeyArn": "x"}).startswith(
        "Value 'x' at 'kMSKeyArn' failed"
    )


def test_nested_member_path(service: ServiceModel) -> None:
    params = {"FunctionName": "f", "DestinationConfig": {"OnFailure": {"Destination": "bad"}}}
    message = one_error(service, "PutFunctionEventInvokeConfig", params)
    assert message.startswith(
        "Value 'bad' at 'destinationConfig.onFailure.destination' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
    )


def test_structures_in_lists_use_one_based_member_paths(service: ServiceModel) -> None:
    configs = [
        {
            "Arn": "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-" + "0" * 17,
            "LocalMountPath": "/mnt/ok",
        },
        {
            "Arn": "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-" + "0" * 17,
            "LocalMountPath": "/tmp",
        },
    ]
    errors = create_errors(service, **{**OK, "FileSystemConfigs": configs})
    assert errors[0].endswith("Member must have length less than or equal to 1")  # max 1 item
    assert errors[1].startswith("Value '/tmp' at 'fileSystemConfigs.2.member.localMountPath' ")
    assert len(errors) == 2


def test_scalar_list_members_are_reported_at_the_list(service: ServiceModel) -> None:
    assert one_error(service, "CreateFunction", {**OK, "Architectures": ["x86"]}) == (
        "Value '[x86]' at 'architectures' failed to satisfy constraint: Member must satisfy "
        "constraint: [Member must satisfy enum value set: [x86_64, arm64], "
        "Member must not be null]"
    )


def test_map_keys_and_sensitive_values(service: ServiceModel) -> None:
    message = one_error(
        service, "CreateFunction", {**OK, "Environment": {"Variables": {"1BAD": "secret"}}}
    )
    # EnvironmentVariables is sensitive: AWS leaves the value out.
    assert message == (
        "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+, "
        "Member must not be null]"
    )
    weights = {
        "FunctionName": "f",
        "Name": "live",
        "RoutingConfig": {"AdditionalVersionWeights": {"x": 0.5}},
    }
    assert one_error(service, "UpdateAlias", weights) == (
        "Value '{x=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must have length less than or "
        "equal to 1024, Member must have length greater than or equal to 1, Member must satisfy "
        "regular expression pattern: [0-9]+, Member must not be null]"
    )


def test_several_errors_are_counted_and_joined_in_model_order(service: ServiceModel) -> None:
    with pytest.raises(ValidationException) as exc:
        validate(
            service.operation_model("CreateFunction").input_shape,
            {"FunctionName": "f", "Code": {}, "Timeout": 0, "MemorySize": 99999},
        )
    assert exc.value.message == (
        "3 validation errors detected: "
        "Value null at 'role' failed to satisfy constraint: Member must not be null; "
        "Value '0' at 'timeout' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1; "
        "Value '99999' at 'memorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 32768"
    )


def test_parse_request_validates_uri_and_query_members(service: ServiceModel) -> None:
    op = service.operation_model("ListFunctions")
    with pytest.raises(ValidationException) as exc:
        parse_request(op, {}, {"MaxItems": ["0"]}, {}, b"")
    assert exc.value.message == (
        PREFIX + "Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    get = service.operation_model("GetFunction")
    with pytest.raises(ValidationException) as exc:
        parse_request(get, {"FunctionName": "bad name"}, {}, {}, b"")
    assert "at 'functionName' failed" in exc.value.message


def test_string_length_counts_utf16_units(service: ServiceModel) -> None:
    # 128 astral characters are 256 UTF-16 units: within Description's max of 256.
    assert create_errors(service, **{**OK, "Description": "\U0001f600" * 128}) == []
    assert create_errors(service, **{**OK, "Description": "\U0001f600" * 129}) != []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "true"),
        (5, "5"),
        (["a", 1], "[a, 1]"),
        ({"k": [1]}, "{k=[1]}"),
        (b"abc", "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"),
    ],
)
def test_render_value_is_java_to_string(value: Any, shown: str) -> None:
    assert render_value(value) == shown


def test_unicode_property_classes_of_newer_models_compile() -> None:
    from lambdalite.api.wire_validate import _compiled

    tag = _compiled(r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)")
    assert tag.fullmatch("héllo wörld_1:/=+-@")
    assert not tag.fullmatch("no$dollars")

from __future__ import annotations

import pytest

from lambdalite.errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdalite.invoke.resolve import split_function_name
from lambdalite.model.arn import parse_function_id

REGION, ACCOUNT = "us-east-1", "000000000000"


@pytest.mark.parametrize(
    ("raw", "name", "qualifier", "region", "account"),
    [
        ("my-function", "my-function", None, None, None),
        ("my-function:v1", "my-function", "v1", None, None),
        ("my-function:$LATEST", "my-function", "$LATEST", None, None),
        ("123456789012:function:my-function", "my-function", None, None, "123456789012"),
        (
            "arn:aws:lambda:us-west-2:123456789012:function:my-function:3",
            "my-function",
            "3",
            "us-west-2",
            "123456789012",
        ),
    ],
)
def test_every_identifier_form_parses(
    raw: str, name: str, qualifier: str | None, region: str | None, account: str | None
) -> None:
    fid = parse_function_id(raw)
    assert fid is not None
    assert (fid.name, fid.qualifier, fid.region, fid.account_id) == (
        name,
        qualifier,
        region,
        account,
    )


def test_malformed_names_are_validation_errors() -> None:
    with pytest.raises(ValidationException) as raised:
        split_function_name("bad name!", None, REGION, ACCOUNT)
    assert "failed to satisfy constraint" in raised.value.message


def test_name_longer_than_64_is_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterValueException) as raised:
        split_function_name("a" * 65, None, REGION, ACCOUNT)
    assert "less than or equal to 64" in raised.value.message


def test_qualifier_mismatch() -> None:
    with pytest.raises(InvalidParameterValueException) as raised:
        split_function_name("fn:1", "2", REGION, ACCOUNT)
    assert raised.value.message == (
        "The derived qualifier from the function name does not match the specified qualifier."
    )
    assert split_function_name("fn:1", "1", REGION, ACCOUNT).qualifier == "1"


def test_other_region_and_account() -> None:
    with pytest.raises(ResourceNotFoundException) as raised:
        split_function_name(
            f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:fn", None, REGION, ACCOUNT
        )
    assert raised.value.message == (
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    )
    with pytest.raises(AccessDeniedException):
        split_function_name(
            "arn:aws:lambda:us-east-1:111111111111:function:fn", None, REGION, ACCOUNT
        )


def test_parsed_names_are_kept_and_immutable_and_bad_ones_fail_every_time() -> None:
    import dataclasses

    first = split_function_name("my-fn:live", None, "us-east-1", "000000000000")
    assert split_function_name("my-fn:live", None, "us-east-1", "000000000000") is first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.name = "other"  # type: ignore[misc]
    for _ in range(2):  # a failure is not remembered as an answer
        with pytest.raises(ValidationException):
            split_function_name("bad name!", None, "us-east-1", "000000000000")

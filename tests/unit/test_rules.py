from __future__ import annotations

import pytest

from lambdalite.errors import InvalidParameterValueException
from lambdalite.functions import rules


def test_environment_over_4kb_is_refused_with_the_measured_string() -> None:
    with pytest.raises(InvalidParameterValueException) as raised:
        rules.check_environment({"BIG": "x" * 4100})
    assert "exceeded the 4KB limit. String measured: {" in raised.value.message


def test_reserved_variables_are_refused() -> None:
    with pytest.raises(InvalidParameterValueException) as raised:
        rules.check_environment({"AWS_REGION": "x", "OK": "y"})
    assert raised.value.message.endswith("Reserved keys used in this request: AWS_REGION")


def test_limits() -> None:
    rules.check_limits(900, 10_240)
    with pytest.raises(InvalidParameterValueException):
        rules.check_limits(901, 128)
    with pytest.raises(InvalidParameterValueException):
        rules.check_limits(3, 10_241)


def test_only_runtimes_that_run_here() -> None:
    rules.check_runtime("python3.12")
    rules.check_runtime("nodejs20.x")
    with pytest.raises(InvalidParameterValueException):
        rules.check_runtime("java21")

"""A fork server that cannot start is a platform fault: a LambdaliteError inside, and on the
wire the same ServiceException every other internal error becomes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lambdalite.api.errors import error_response
from lambdalite.errors import AwsError, InternalError, LambdaliteError, SandboxError
from lambdalite.sandbox.errors import ForkServerError
from tests.integration.test_sandbox import Harness, make_spec


@pytest.fixture
def failure() -> Iterator[ForkServerError]:
    harness = Harness()
    try:
        spec = make_spec("app.handler", "basic", interpreter="/nonexistent/bin/python3")
        with pytest.raises(ForkServerError) as caught:
            harness.invoke(spec)
        yield caught.value
    finally:
        harness.close()


def test_fork_server_failure_is_a_platform_error(failure: ForkServerError) -> None:
    assert isinstance(failure, SandboxError)
    assert isinstance(failure, InternalError)
    assert isinstance(failure, LambdaliteError)
    assert not isinstance(failure, AwsError)  # never a wire error of its own


def test_the_client_still_sees_a_service_exception(failure: ForkServerError) -> None:
    status, headers, body = error_response(failure, "req-1")
    assert status == 500
    assert (b"x-amzn-errortype", b"ServiceException") in headers
    assert json.loads(body) == {
        "Type": "Service",
        "Message": "The AWS Lambda service encountered an internal error.",
    }

"""Provisioned concurrency through boto3 against a real server (spec 7.3)."""

from __future__ import annotations

import base64
import json
import os
import select
from typing import Any

import pytest

from lambdalite.testing import drain
from tests.acceptance.conftest import ROLE, create, zip_source

SOURCE = """
import os
def handler(event, context):
    return {"pid": os.getpid(), "type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
"""


def call(lam: Any, name: str, qualifier: str) -> tuple[dict[str, Any], str]:
    out = lam.invoke(FunctionName=name, Qualifier=qualifier, LogType="Tail")
    return json.loads(out["Payload"].read()), base64.b64decode(out["LogResult"]).decode()


def test_provisioned_environments_serve_warm_then_spill_over(lam: Any, server: Any) -> None:
    name = create(lam, SOURCE)
    version = lam.publish_version(FunctionName=name)["Version"]
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 1
    drain(server.endpoint)
    got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert got["Status"] == "READY"
    assert got["AllocatedProvisionedConcurrentExecutions"] == 1
    assert got["AvailableProvisionedConcurrentExecutions"] == 1
    body, tail = call(lam, name, version)
    assert body["type"] == "provisioned-concurrency" and "Init Duration" not in tail
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    assert [
        c["FunctionArn"].rsplit(":", 1)[1] for c in listed["ProvisionedConcurrencyConfigs"]
    ] == [version]
    # $LATEST has no provisioned environments: on-demand, cold.
    body, tail = call(lam, name, "$LATEST")
    assert body["type"] == "on-demand" and "Init Duration" in tail
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    body, tail = call(lam, name, version)  # released: the next one is a cold start
    assert body["type"] == "on-demand" and "Init Duration" in tail


def test_errors(lam: Any, server: Any) -> None:
    name = create(lam, SOURCE)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert "unpublished function versions" in str(info.value)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="nope", ProvisionedConcurrentExecutions=1
        )
    assert "Cannot find alias arn" in str(missing.value)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as over:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2
        )
    assert "should not be greater than the reservedConcurrentExecution" in str(over.value)
    # Reserved 1, all of it provisioned to version 1: $LATEST is throttled, the version works.
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    drain(server.endpoint)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName=name)
    assert call(lam, name, version)[0]["type"] == "provisioned-concurrency"
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)


def test_failed_init_is_failed(lam: Any, server: Any) -> None:
    name = create(lam, "raise RuntimeError('no init')\ndef handler(e, c):\n    return 1\n")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    drain(server.endpoint)
    got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert got["Status"] == "FAILED" and "RuntimeError" in got["StatusReason"]


def test_an_alias_and_its_version_exclude_each_other(lam: Any, server: Any) -> None:
    name = create(lam, SOURCE)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    with pytest.raises(lam.exceptions.ResourceConflictException) as on_alias:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
        )
    assert on_alias.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert on_alias.value.response["Error"]["Message"] == (
        "Alias can't be used for Provisioned Concurrency configuration on an already "
        "Provisioned version"
    )
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    with pytest.raises(lam.exceptions.ResourceConflictException) as on_version:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
        )
    assert on_version.value.response["Error"]["Message"] == (
        "Version is pointed by a Provisioned Concurrency alias"
    )
    drain(server.endpoint)
    # The alias's config may be put again (an update), and the server keeps serving.
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    drain(server.endpoint)
    assert call(lam, name, "live")[0]["type"] == "provisioned-concurrency"


def test_configs_go_with_their_alias_version_and_function(lam: Any, server: Any) -> None:
    name = create(lam, SOURCE)
    one = lam.publish_version(FunctionName=name)["Version"]
    two_env = {"Variables": {"VERSION": "2"}}
    lam.update_function_configuration(FunctionName=name, Environment=two_env)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    two = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=two)
    for qualifier in (one, "live"):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=qualifier, ProvisionedConcurrentExecutions=1
        )
    drain(server.endpoint)
    pids = {q: call(lam, name, q)[0]["pid"] for q in (one, "live")}
    lam.delete_alias(FunctionName=name, Name="live")
    assert qualifiers(lam, name) == [one]
    assert _gone(pids["live"])  # its provisioned environment stopped with it
    lam.delete_function(FunctionName=name, Qualifier=one)
    assert qualifiers(lam, name) == []
    assert _gone(pids[one])
    # A function deleted with its configs and created again under the same name has none.
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=two, ProvisionedConcurrentExecutions=1
    )
    lam.delete_function(FunctionName=name)
    _recreate(lam, name)
    version = lam.publish_version(FunctionName=name)["Version"]
    assert version == "1"
    assert qualifiers(lam, name) == []
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)


def test_a_crashed_or_timed_out_provisioned_environment_is_replaced(lam: Any, server: Any) -> None:
    name = create(lam, MISBEHAVES, Timeout=1)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    drain(server.endpoint)
    first, _ = call(lam, name, version)
    seen = {first["pid"]}
    for bad in ("crash", "hang"):
        out = lam.invoke(FunctionName=name, Qualifier=version, Payload=json.dumps({bad: 1}))
        assert out["FunctionError"] == "Unhandled"
        drain(server.endpoint)  # the replacement is initialised by now
        got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
        assert got["Status"] == "READY" and got["AllocatedProvisionedConcurrentExecutions"] == 1
        body, tail = call(lam, name, version)
        assert body["type"] == "provisioned-concurrency" and "Init Duration" not in tail
        assert body["pid"] not in seen  # a new environment, initialised ahead
        seen.add(body["pid"])


MISBEHAVES = """
import os, time
def handler(event, context):
    if event.get("crash"):
        os._exit(3)
    if event.get("hang"):
        time.sleep(30)
    return {"pid": os.getpid(), "type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
"""


def qualifiers(lam: Any, name: str) -> list[str]:
    configs = lam.list_provisioned_concurrency_configs(FunctionName=name)
    return [c["FunctionArn"].rsplit(":", 1)[1] for c in configs["ProvisionedConcurrencyConfigs"]]


def _recreate(lam: Any, name: str) -> None:
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_source(SOURCE)},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})


def _gone(pid: int) -> bool:
    """The process exits once it is stopped: its pidfd turns readable (no sleeping)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], 10)[0])
    finally:
        os.close(fd)

"""Provisioned concurrency through boto3 against a real server (spec 7.3)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from lambdalite.testing import drain
from tests.acceptance.conftest import create

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

"""Custom:: resources (and AWS::CloudFormation::CustomResource): the ServiceToken function
is invoked with CloudFormation's custom resource request, and the deploy waits for the
response it PUTs to the ResponseURL (cfnresponse, crhelper), as CloudFormation does."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from lambdalite.template.provision.base import Env, Provisioned, Request
from lambdalite.template.state import ResourceState

RESPONSE_ROUTE = "/_lambdalite/cfn-responses/"


def _event(env: Env, kind: str, logical_id: str, rtype: str, props: Any) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ServiceToken": props.get("ServiceToken"),
        "StackId": f"arn:aws:cloudformation:{env.region}:{env.account_id}:"
        f"stack/{env.stack_name}/lambdalite",
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": rtype,
        "ResourceProperties": dict(props),
    }


class CustomProvisioner:
    replace_on = frozenset({"ServiceToken"})

    def create(self, env: Env, request: Request) -> Provisioned:
        event = _event(env, "Create", request.logical_id, request.type, request.properties)
        return self._call(env, request.logical_id, event)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        event = _event(env, "Update", request.logical_id, request.type, request.properties)
        event["PhysicalResourceId"] = old.physical_id
        event["OldResourceProperties"] = dict(old.properties)
        return self._call(env, request.logical_id, event)

    def delete(self, env: Env, old: ResourceState) -> None:
        event = _event(env, "Delete", old.logical_id, old.type, old.properties)
        event["PhysicalResourceId"] = old.physical_id
        self._call(env, old.logical_id, event)

    def _call(self, env: Env, logical_id: str, event: dict[str, Any]) -> Provisioned:
        token = uuid.uuid4().hex
        event["ResponseURL"] = f"{env.endpoint}{RESPONSE_ROUTE}{token}"
        waiting = env.responses.expect(token)
        try:
            out = env.client("lambda").invoke(
                FunctionName=event["ServiceToken"], Payload=json.dumps(event).encode()
            )
            error = out.get("FunctionError")
            if error and not waiting.done():
                detail = out["Payload"].read().decode(errors="replace")[:500]
                raise _failure(logical_id, f"the custom resource function failed: {detail}")
            response = waiting.result(timeout=env.custom_timeout_s)
        except FutureTimeout:
            raise _failure(logical_id, "no response from the custom resource function") from None
        finally:
            env.responses.forget(token)
        if response.get("Status") != "SUCCESS":
            raise _failure(logical_id, f"custom resource failed: {response.get('Reason')}")
        physical = response.get("PhysicalResourceId") or logical_id
        return Provisioned(str(physical), dict(response.get("Data") or {}))


def _failure(logical_id: str, cause: str) -> Exception:
    from lambdalite.template.errors import TemplateError

    return TemplateError(cause, logical_id)

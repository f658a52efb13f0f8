"""AddPermission, GetPolicy, RemovePermission: a function's resource-based policy."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.api.service_model import load_service
from lambdalite.functions.permissions import Grant, check_action, policy_document
from lambdalite.invoke.resolve import split_function_name
from lambdalite.platform import Platform


def _target(p: Platform, params: dict[str, Any]) -> tuple[str, str | None]:
    s = p.settings
    fid = split_function_name(
        params["FunctionName"], params.get("Qualifier"), s.region, s.account_id
    )
    return fid.name, fid.qualifier or params.get("Qualifier")


async def add_permission(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    check_action(params["Action"], frozenset(load_service("lambda").operation_names))
    grant = Grant(
        statement_id=params["StatementId"],
        action=params["Action"],
        principal=params["Principal"],
        source_arn=params.get("SourceArn"),
        source_account=params.get("SourceAccount"),
        event_source_token=params.get("EventSourceToken"),
        principal_org_id=params.get("PrincipalOrgID"),
        function_url_auth_type=params.get("FunctionUrlAuthType"),
        invoked_via_function_url=params.get("InvokedViaFunctionUrl"),
    )
    statement = await p.permissions.add(name, qualifier, grant, params.get("RevisionId"))
    return {"Statement": json.dumps(statement, separators=(",", ":"))}


async def get_policy(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    policy = await p.permissions.get(name, qualifier)
    return {"Policy": policy_document(policy), "RevisionId": policy.revision_id}


async def remove_permission(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    await p.permissions.remove(name, qualifier, params["StatementId"], params.get("RevisionId"))
    return {}


OPERATIONS = {
    "AddPermission": add_permission,
    "GetPolicy": get_policy,
    "RemovePermission": remove_permission,
}

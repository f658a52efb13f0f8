"""Resource-based policies of functions: AddPermission, GetPolicy, RemovePermission.

Statements are built exactly as AWS builds them (key order included, since clients compare
the JSON text), one policy per function and qualifier. lambdalite stores and returns them but
does not evaluate them yet: every caller may invoke every function, as before.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from lambdalite.errors import (
    InvalidParameterValueException,
    PolicyLengthExceededException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambdalite.functions.policy_store import Policy, PolicyStore
from lambdalite.functions.store import FunctionStore
from lambdalite.model.arn import function_arn
from lambdalite.model.function import LATEST

POLICY_LIMIT = 20_480  # bytes of policy document per function or qualifier
NO_POLICY = "The resource you requested does not exist."
_ACCOUNT = re.compile(r"^\d{12}$")
_IAM_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:\S+$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com|amazon\.com|amazonaws\.com\.cn)$")
# The IAM actions of Lambda that are not API operation names (the rest are: lambda:<Op>).
_EXTRA_ACTIONS = frozenset({"InvokeFunction", "InvokeFunctionUrl", "InvokeAsync"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """AddPermission's request members, snake_cased."""

    statement_id: str
    action: str
    principal: str
    source_arn: str | None = None
    source_account: str | None = None
    event_source_token: str | None = None
    principal_org_id: str | None = None
    function_url_auth_type: str | None = None
    invoked_via_function_url: bool | None = None


def principal_of(raw: str, partition: str = "aws") -> str | dict[str, str]:
    """The statement's Principal: a service, an account's root, an IAM ARN, or "*"."""
    if raw == "*":
        return raw
    if _ACCOUNT.match(raw):
        return {"AWS": f"arn:{partition}:iam::{raw}:root"}
    if _IAM_ARN.match(raw):
        return {"AWS": raw}
    if _SERVICE.match(raw):
        return {"Service": raw}
    raise InvalidParameterValueException(
        "The provided principal was invalid. Please check the principal and try again."
    )


def check_action(action: str, operations: frozenset[str]) -> None:
    """``lambda:*``, ``*`` or ``lambda:<an API operation or IAM-only action>``. AWS's wording
    for an unknown action is unconfirmed; the model's pattern admits any name."""
    name = action.removeprefix("lambda:")
    if action in ("*", "lambda:*") or name in operations or name in _EXTRA_ACTIONS:
        return
    raise InvalidParameterValueException(
        f"The provided action ({action}) was invalid. Please check the action and try again."
    )


def condition_of(grant: Grant) -> dict[str, dict[str, str]]:
    """The Condition block, in AWS's order: StringEquals first, then ArnLike, then Bool."""
    equals: dict[str, str] = {}
    if grant.function_url_auth_type:
        equals["lambda:FunctionUrlAuthType"] = grant.function_url_auth_type
    if grant.principal_org_id:
        equals["aws:PrincipalOrgID"] = grant.principal_org_id
    if grant.source_account:
        equals["AWS:SourceAccount"] = grant.source_account
    if grant.event_source_token:
        equals["lambda:EventSourceToken"] = grant.event_source_token
    condition: dict[str, dict[str, str]] = {}
    if equals:
        condition["StringEquals"] = equals
    if grant.source_arn:
        condition["ArnLike"] = {"AWS:SourceArn": grant.source_arn}
    if grant.invoked_via_function_url:
        condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    return condition


def build_statement(grant: Grant, resource: str) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": grant.statement_id,
        "Effect": "Allow",
        "Principal": principal_of(grant.principal),
        "Action": grant.action,
        "Resource": resource,
    }
    condition = condition_of(grant)
    if condition:
        statement["Condition"] = condition
    return statement


def policy_document(policy: Policy) -> str:
    """GetPolicy's Policy member: the document as compact JSON text."""
    doc = {"Version": "2012-10-17", "Id": "default", "Statement": list(policy.statements)}
    return json.dumps(doc, separators=(",", ":"))


def _check_revision(current: Policy | None, revision_id: str | None) -> None:
    if revision_id is not None and (current is None or current.revision_id != revision_id):
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. Call the "
            "GetPolicy API to retrieve the latest Revision Id"
        )


class PermissionService:
    def __init__(
        self,
        store: PolicyStore,
        functions: FunctionStore,
        region: str,
        account_id: str,
    ) -> None:
        self._store = store
        self._functions = functions
        self._region = region
        self._account = account_id

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self._region, self._account, name, qualifier)

    async def _check_target(self, name: str, qualifier: str | None) -> None:
        """The function, and the version or alias when one is named, must exist."""
        if await self._functions.get_function(name) is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}")
        if qualifier is None or qualifier == LATEST:
            return
        found: object = (
            await self._functions.get_version(name, qualifier)
            if qualifier.isdigit()
            else await self._functions.get_alias(name, qualifier)
        )
        if found is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")

    async def add(
        self, name: str, qualifier: str | None, grant: Grant, revision_id: str | None
    ) -> dict[str, Any]:
        """Add a statement; returns it. The caller checked the action (check_action)."""
        await self._check_target(name, qualifier)
        statement = build_statement(grant, self.arn(name, qualifier))

        def change(current: Policy | None) -> Policy:
            _check_revision(current, revision_id)
            existing = current.statements if current is not None else ()
            if any(s["Sid"] == grant.statement_id for s in existing):
                raise ResourceConflictException(
                    f"The statement id ({grant.statement_id}) provided already exists. Please "
                    "provide a new statement id, or remove the existing statement."
                )
            policy = Policy((*existing, statement), str(uuid.uuid4()))
            size = len(policy_document(policy).encode())
            if size > POLICY_LIMIT:
                raise PolicyLengthExceededException(
                    f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT})."
                )
            return policy

        await self._store.change_policy(name, qualifier or LATEST, change)
        return statement

    async def get(self, name: str, qualifier: str | None) -> Policy:
        await self._check_target(name, qualifier)
        policy = await self._store.get_policy(name, qualifier or LATEST)
        if policy is None:
            raise ResourceNotFoundException(NO_POLICY)
        return policy

    async def remove(
        self, name: str, qualifier: str | None, statement_id: str, revision_id: str | None
    ) -> None:
        await self._check_target(name, qualifier)

        def change(current: Policy | None) -> Policy | None:
            if current is None:
                raise ResourceNotFoundException("No policy is associated with the given resource.")
            kept = tuple(s for s in current.statements if s["Sid"] != statement_id)
            if len(kept) == len(current.statements):
                raise ResourceNotFoundException(
                    f"Statement {statement_id} is not found in resource policy."
                )
            _check_revision(current, revision_id)
            # The last statement gone, the policy goes: GetPolicy answers 404 again.
            return Policy(kept, str(uuid.uuid4())) if kept else None

        await self._store.change_policy(name, qualifier or LATEST, change)

"""AWS::DynamoDB::Table through CreateTable / UpdateTable / DeleteTable on the embedded
moto DynamoDB (the `services` extra). StreamArn is the table's latest stream, which a
SAM DynamoDB event's mapping reads."""

from __future__ import annotations

from typing import Any

from lambdalite.template.provision.base import (
    Env,
    Provisioned,
    Request,
    api_members,
    check_properties,
)
from lambdalite.template.provision.s3 import require_services
from lambdalite.template.state import ResourceState

# Properties whose CloudFormation shape differs from CreateTable's, handled here.
_HANDLED = frozenset({"StreamSpecification", "TimeToLiveSpecification", "TableName"})


def _stream(props: Any) -> dict[str, Any] | None:
    spec = props.get("StreamSpecification")
    if not spec:
        return None
    return {"StreamEnabled": True, "StreamViewType": spec["StreamViewType"]}


class TableProvisioner:
    # CloudFormation replaces a table when its name, key schema or local indexes change.
    replace_on = frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"})

    def create(self, env: Env, request: Request) -> Provisioned:
        require_services(request)
        props = request.properties
        known = api_members(env, "dynamodb", "CreateTable") | _HANDLED
        check_properties(env, request, known)
        params = {k: v for k, v in props.items() if k in known and k not in _HANDLED}
        name = str(props.get("TableName") or env.physical_name(request.logical_id, 255))
        stream = _stream(props)
        if stream is not None:
            params["StreamSpecification"] = stream
        ddb = env.client("dynamodb")
        ddb.create_table(TableName=name, **params)
        try:
            self._ttl(env, name, props, {})
        except Exception:
            ddb.delete_table(TableName=name)
            raise
        return self._answer(env, name)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        require_services(request)
        props, before = request.properties, old.properties
        check_properties(env, request, api_members(env, "dynamodb", "CreateTable") | _HANDLED)
        name = old.physical_id
        ddb = env.client("dynamodb")
        changes: dict[str, Any] = {}
        for key in ("BillingMode", "ProvisionedThroughput", "AttributeDefinitions"):
            if props.get(key) != before.get(key) and props.get(key) is not None:
                changes[key] = props[key]
        if props.get("StreamSpecification") != before.get("StreamSpecification"):
            changes["StreamSpecification"] = _stream(props) or {"StreamEnabled": False}
        if changes:
            ddb.update_table(TableName=name, **changes)
        if props.get("GlobalSecondaryIndexes") != before.get("GlobalSecondaryIndexes"):
            env.warn(
                f"{request.type} {request.logical_id}: changed GlobalSecondaryIndexes are "
                "not applied to an existing table (rename it to replace it)"
            )
        self._ttl(env, name, props, before)
        return self._answer(env, name)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("dynamodb").delete_table(TableName=old.physical_id)

    @staticmethod
    def _ttl(env: Env, name: str, props: Any, before: Any) -> None:
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl != before.get("TimeToLiveSpecification"):
            env.client("dynamodb").update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": bool(ttl.get("Enabled")),
                    "AttributeName": ttl["AttributeName"],
                },
            )

    @staticmethod
    def _answer(env: Env, name: str) -> Provisioned:
        table = env.client("dynamodb").describe_table(TableName=name)["Table"]
        attributes = {"Arn": table["TableArn"]}
        if table.get("LatestStreamArn"):
            attributes["StreamArn"] = table["LatestStreamArn"]
        return Provisioned(name, attributes)

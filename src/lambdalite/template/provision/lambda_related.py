"""The Lambda resources around a function: Version, Alias, EventInvokeConfig,
EventSourceMapping, Permission and Url."""

from __future__ import annotations

from typing import Any

from lambdalite.template.provision.base import (
    Env,
    Provisioned,
    Request,
    api_members,
    check_properties,
    error_code,
)
from lambdalite.template.state import ResourceState


def _pick(
    env: Env, request: Request, operation: str, extra: frozenset[str] = frozenset()
) -> dict[str, Any]:
    known = api_members(env, "lambda", operation) | extra
    check_properties(env, request, known)
    return {k: v for k, v in request.properties.items() if k in known and k not in extra}


class VersionProvisioner:
    replace_on = frozenset({"FunctionName", "CodeSha256", "Description"})

    def create(self, env: Env, request: Request) -> Provisioned:
        params = _pick(env, request, "PublishVersion", frozenset({"ProvisionedConcurrencyConfig"}))
        out = env.client("lambda").publish_version(**params)
        return Provisioned(out["FunctionArn"], {"Version": out["Version"]})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        name, _, version = old.physical_id.rpartition(":")
        env.client("lambda").delete_function(FunctionName=name, Qualifier=version)


class AliasProvisioner:
    replace_on = frozenset({"FunctionName", "Name"})

    def create(self, env: Env, request: Request) -> Provisioned:
        params = _pick(env, request, "CreateAlias", frozenset({"ProvisionedConcurrencyConfig"}))
        out = env.client("lambda").create_alias(**params)
        return Provisioned(out["AliasArn"], {"AliasArn": out["AliasArn"]})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        params = _pick(env, request, "UpdateAlias", frozenset({"ProvisionedConcurrencyConfig"}))
        params.setdefault("RoutingConfig", {"AdditionalVersionWeights": {}})
        out = env.client("lambda").update_alias(**params)
        return Provisioned(out["AliasArn"], {"AliasArn": out["AliasArn"]})

    def delete(self, env: Env, old: ResourceState) -> None:
        name = old.properties["FunctionName"]
        env.client("lambda").delete_alias(FunctionName=name, Name=old.properties["Name"])


class EventInvokeConfigProvisioner:
    replace_on = frozenset({"FunctionName", "Qualifier"})

    def create(self, env: Env, request: Request) -> Provisioned:
        params = _pick(env, request, "PutFunctionEventInvokeConfig")
        env.client("lambda").put_function_event_invoke_config(**params)
        return Provisioned(f"{params['FunctionName']}:{params.get('Qualifier', '$LATEST')}")

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return self.create(env, request)

    def delete(self, env: Env, old: ResourceState) -> None:
        name, _, qualifier = old.physical_id.rpartition(":")
        env.client("lambda").delete_function_event_invoke_config(
            FunctionName=name, Qualifier=qualifier
        )


class EventSourceMappingProvisioner:
    replace_on = frozenset({"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"})

    def create(self, env: Env, request: Request) -> Provisioned:
        params = _pick(env, request, "CreateEventSourceMapping")
        out = env.client("lambda").create_event_source_mapping(**params)
        return Provisioned(out["UUID"], {"Id": out["UUID"]})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        params = _pick(env, request, "UpdateEventSourceMapping")
        env.client("lambda").update_event_source_mapping(UUID=old.physical_id, **params)
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("lambda").delete_event_source_mapping(UUID=old.physical_id)


class PermissionProvisioner:
    """AddPermission; a server without it answers UnknownOperationException, which is
    fine: lambdalite does not enforce resource policies."""

    replace_on = frozenset({"FunctionName", "Action", "Principal", "SourceArn", "SourceAccount"})

    def create(self, env: Env, request: Request) -> Provisioned:
        params = _pick(env, request, "AddPermission", frozenset({"StatementId"}))
        statement = env.physical_name(request.logical_id, limit=100)
        try:
            env.client("lambda").add_permission(StatementId=statement, **params)
        except Exception as exc:
            if error_code(exc) != "UnknownOperationException":
                raise
        return Provisioned(statement)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        try:
            env.client("lambda").remove_permission(
                FunctionName=old.properties["FunctionName"], StatementId=old.physical_id
            )
        except Exception as exc:
            if error_code(exc) not in ("UnknownOperationException", "ResourceNotFoundException"):
                raise


class UrlProvisioner:
    """CreateFunctionUrlConfig (served by the gateway); until it is, one warning."""

    replace_on = frozenset({"TargetFunctionArn", "Qualifier"})

    def create(self, env: Env, request: Request) -> Provisioned:
        props = dict(request.properties)
        target = props.pop("TargetFunctionArn", "")
        params = {k: v for k, v in props.items() if k in ("AuthType", "Cors", "InvokeMode")}
        if "Qualifier" in props:
            params["Qualifier"] = props["Qualifier"]
        try:
            out = env.client("lambda").create_function_url_config(FunctionName=target, **params)
        except Exception as exc:
            if error_code(exc) != "UnknownOperationException":
                raise
            env.warn(f"AWS::Lambda::Url {request.logical_id}: function URLs are not served")
            return Provisioned(str(target), {"FunctionArn": target, "FunctionUrl": ""})
        return Provisioned(str(target), {"FunctionArn": target, "FunctionUrl": out["FunctionUrl"]})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        if not old.attributes.get("FunctionUrl"):
            return
        env.client("lambda").delete_function_url_config(
            FunctionName=old.physical_id,
            **({"Qualifier": old.properties["Qualifier"]} if "Qualifier" in old.properties else {}),
        )

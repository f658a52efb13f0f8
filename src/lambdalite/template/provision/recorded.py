"""Resources lambdalite records but does not enforce (IAM, resource policies, API stages),
and the fallback for types it does not emulate at all: one warning naming the type."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lambdalite.template.provision.base import Env, Provisioned, Request
from lambdalite.template.state import ResourceState

NOT_ENFORCED = frozenset(
    {
        "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
        "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::Events::EventBusPolicy",
        "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGateway::Account", "AWS::Logs::LogGroup",
        "AWS::CloudFormation::WaitConditionHandle",
    }
)  # fmt: skip


class AnyAttribute(Mapping[str, Any]):
    """Attributes of a resource that is only recorded: any name answers a stand-in."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getitem__(self, key: str) -> Any:
        return self._base if key in ("Arn", "Id") else f"{self._base}/{key}"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def stand_in(env: Env, rtype: str, logical_id: str, physical_id: str) -> AnyAttribute:
    service = rtype.split("::")[1].lower() if rtype.count("::") >= 2 else "custom"
    if rtype == "AWS::IAM::Role":
        return AnyAttribute(f"arn:aws:iam::{env.account_id}:role/{physical_id}")
    return AnyAttribute(f"arn:aws:{service}:{env.region}:{env.account_id}:{physical_id}")


class RecordedProvisioner:
    """Kept in the stack's state so Ref and Fn::GetAtt work; nothing is enforced."""

    replace_on: frozenset[str] = frozenset()

    def __init__(self, emulated: bool) -> None:
        self.emulated = emulated

    def create(self, env: Env, request: Request) -> Provisioned:
        if not self.emulated:
            env.warn(
                f"{request.type} {request.logical_id}: resource type not emulated (recorded only)"
            )
        name = request.properties.get("RoleName") or env.physical_name(request.logical_id)
        return Provisioned(str(name), stand_in(env, request.type, request.logical_id, str(name)))

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        if not self.emulated:
            env.warn(
                f"{request.type} {request.logical_id}: resource type not emulated (recorded only)"
            )
        return Provisioned(
            old.physical_id, stand_in(env, old.type, old.logical_id, old.physical_id)
        )

    def delete(self, env: Env, old: ResourceState) -> None:
        return None

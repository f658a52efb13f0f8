"""AWS::S3::Bucket through CreateBucket / PutBucketNotificationConfiguration / DeleteBucket,
on the embedded moto S3 (the `services` extra) with lambdalite's own notifications.

A bucket that still holds objects is not emptied on delete: CloudFormation refuses to
delete it too (DELETE_FAILED), so the delete fails and `up`/`down` warn and go on.
"""

from __future__ import annotations

from typing import Any

from lambdalite.services.moto_backend.engine import INSTALL_HINT, MotoEngine
from lambdalite.template.provision.base import Env, Provisioned, Request, check_properties
from lambdalite.template.state import ResourceState

_HANDLED = frozenset({"BucketName", "NotificationConfiguration", "Tags", "VersioningConfiguration"})
# CloudFormation's notification entries -> the API's: (list, target key, API list, API key)
_TARGETS = (
    ("LambdaConfigurations", "Function", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ("QueueConfigurations", "Queue", "QueueConfigurations", "QueueArn"),
    ("TopicConfigurations", "Topic", "TopicConfigurations", "TopicArn"),
)


def require_services(request: Request) -> None:
    """S3 and DynamoDB resources need moto: one clear error rather than a half app."""
    if not MotoEngine.available():
        raise request.fail(f"{request.type} needs the S3/DynamoDB emulation: {INSTALL_HINT}")


def notification_configuration(env: Env, request: Request) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration as PutBucketNotificationConfiguration's."""
    declared = request.properties.get("NotificationConfiguration") or {}
    out: dict[str, Any] = {}
    for cfn_list, cfn_key, api_list, api_key in _TARGETS:
        entries = []
        for entry in declared.get(cfn_list) or []:
            item: dict[str, Any] = {api_key: entry[cfn_key], "Events": [entry["Event"]]}
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                item["Filter"] = {"Key": {"FilterRules": list(rules)}}
            entries.append(item)
        if entries:
            out[api_list] = entries
    for name in sorted(set(declared) - {t[0] for t in _TARGETS}):
        env.warn(
            f"{request.type} {request.logical_id}: NotificationConfiguration.{name} "
            "is not emulated (ignored)"
        )
    return out


def bucket_attributes(env: Env, name: str) -> dict[str, Any]:
    region = env.region
    return {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
    }


class BucketProvisioner:
    replace_on = frozenset({"BucketName"})

    def create(self, env: Env, request: Request) -> Provisioned:
        require_services(request)
        check_properties(env, request, _HANDLED)
        # CloudFormation's generated bucket names are lower case and within S3's 63.
        name = (
            request.properties.get("BucketName")
            or env.physical_name(request.logical_id, 63).lower()
        )
        s3 = env.client("s3")
        if env.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": env.region}
            )
        try:
            self._configure(env, request, name, None)
        except Exception:
            s3.delete_bucket(Bucket=name)  # nothing half-made: the run's undo never saw it
            raise
        return Provisioned(name, bucket_attributes(env, name))

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        require_services(request)
        check_properties(env, request, _HANDLED)
        self._configure(env, request, old.physical_id, old)
        return Provisioned(old.physical_id, bucket_attributes(env, old.physical_id))

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("s3").delete_bucket(Bucket=old.physical_id)

    @staticmethod
    def _configure(env: Env, request: Request, name: str, old: ResourceState | None) -> None:
        s3 = env.client("s3")
        props = request.properties
        before = old.properties if old is not None else {}
        if old is None or props.get("NotificationConfiguration") != before.get(
            "NotificationConfiguration"
        ):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=notification_configuration(env, request)
            )
        versioning = props.get("VersioningConfiguration")
        if versioning and versioning != before.get("VersioningConfiguration"):
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": versioning.get("Status")}
            )
        tags = props.get("Tags")
        if tags and tags != before.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": list(tags)})
        elif before.get("Tags") and not tags:
            s3.delete_bucket_tagging(Bucket=name)

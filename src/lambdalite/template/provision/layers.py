"""AWS::Lambda::LayerVersion (and SAM's LayerVersion with a local ContentUri) through
PublishLayerVersion with local content; Ref answers the version's ARN. Layer versions are
immutable, so any change publishes a new one (CloudFormation replaces them too)."""

from __future__ import annotations

from lambdalite.template.provision.base import (
    Env,
    Provisioned,
    Request,
    api_members,
    check_properties,
)
from lambdalite.template.sam import LOCAL_BUCKET, local_path
from lambdalite.template.state import ResourceState


def published_here(env: Env, arn: str) -> bool:
    """A layer version ARN of this server's region and account (others cannot be fetched)."""
    return str(arn).startswith(f"arn:aws:lambda:{env.region}:{env.account_id}:layer:")


class LayerVersionProvisioner:
    replace_on = frozenset(
        {
            "Content", "LayerName", "CompatibleRuntimes", "CompatibleArchitectures",
            "Description", "LicenseInfo",
        }
    )  # fmt: skip

    def create(self, env: Env, request: Request) -> Provisioned:
        props = request.properties
        known = api_members(env, "lambda", "PublishLayerVersion")
        check_properties(env, request, known)
        params = {k: v for k, v in props.items() if k in known and k != "Content"}
        content = dict(props.get("Content") or {})
        directory = local_path(str(content.get("S3Bucket", "")), str(content.get("S3Key", "")))
        if directory is None:
            raise request.fail(
                f"layer content at s3://{content.get('S3Bucket')}/{content.get('S3Key')} "
                "cannot be fetched; give a local ContentUri"
            )
        params.setdefault("LayerName", env.physical_name(request.logical_id, 140))
        out = env.client("lambda").publish_layer_version(
            Content={"S3Bucket": LOCAL_BUCKET, "S3Key": directory}, **params
        )
        return Provisioned(out["LayerVersionArn"], {"LayerVersionArn": out["LayerVersionArn"]})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return Provisioned(old.physical_id, old.attributes)  # every property replaces

    def delete(self, env: Env, old: ResourceState) -> None:
        name, _, version = old.physical_id.rpartition(":")
        layer = name.rsplit(":", 1)[1]
        env.client("lambda").delete_layer_version(LayerName=layer, VersionNumber=int(version))

"""AWS::Kinesis::Stream through CreateStream / DeleteStream."""

from __future__ import annotations

from typing import Any

from lambdalite.template.provision.base import Env, Provisioned, Request, check_properties
from lambdalite.template.state import ResourceState

_KNOWN = frozenset(
    {"Name", "ShardCount", "StreamModeDetails", "RetentionPeriodHours", "Tags",
     "StreamEncryption"}
)  # fmt: skip
_DEFAULT_RETENTION_H = 24


class StreamProvisioner:
    replace_on = frozenset({"Name", "ShardCount", "StreamModeDetails"})

    def create(self, env: Env, request: Request) -> Provisioned:
        props = request.properties
        check_properties(env, request, _KNOWN, frozenset({"StreamEncryption"}))
        name = props.get("Name") or env.physical_name(request.logical_id, 128)
        kinesis = env.client("kinesis")
        params: dict[str, Any] = {"StreamName": name}
        mode = (props.get("StreamModeDetails") or {}).get("StreamMode")
        if mode == "ON_DEMAND":
            params["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
        else:
            params["ShardCount"] = int(props.get("ShardCount", 1))
        kinesis.create_stream(**params)
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
        )
        self._retention(env, name, props, _DEFAULT_RETENTION_H)
        arn = f"arn:aws:kinesis:{env.region}:{env.account_id}:stream/{name}"
        return Provisioned(name, {"Arn": arn})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        current = int(old.properties.get("RetentionPeriodHours", _DEFAULT_RETENTION_H))
        self._retention(env, old.physical_id, request.properties, current)
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("kinesis").delete_stream(StreamName=old.physical_id)

    @staticmethod
    def _retention(env: Env, name: str, props: Any, current: int) -> None:
        wanted = int(props.get("RetentionPeriodHours", _DEFAULT_RETENTION_H))
        kinesis = env.client("kinesis")
        if wanted > current:
            kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=wanted)
        elif wanted < current:
            kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=wanted)

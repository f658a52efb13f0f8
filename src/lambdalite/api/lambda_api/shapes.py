"""Domain values to Lambda wire shapes (PascalCase, as botocore's model names them)."""

from __future__ import annotations

from typing import Any

from lambdalite.model.arn import function_arn
from lambdalite.model.function import Alias, FunctionConfig


def logging_config(config: FunctionConfig) -> dict[str, Any]:
    doc: dict[str, Any] = {"LogFormat": config.log_format}
    if config.log_format == "JSON":
        doc["ApplicationLogLevel"] = config.application_log_level or "INFO"
        doc["SystemLogLevel"] = config.system_log_level or "INFO"
    doc["LogGroup"] = config.effective_log_group
    return doc


def function_configuration(config: FunctionConfig, region: str, account: str) -> dict[str, Any]:
    qualifier = None if config.version == "$LATEST" else config.version
    doc: dict[str, Any] = {
        "FunctionName": config.name,
        "FunctionArn": function_arn(region, account, config.name, qualifier),
        "Runtime": config.runtime,
        "Role": config.role,
        "Handler": config.handler,
        "CodeSize": config.code.size,
        "Description": config.description,
        "Timeout": config.timeout,
        "MemorySize": config.memory_size,
        "LastModified": config.last_modified,
        "CodeSha256": config.code.sha256,
        "Version": config.version,
        "TracingConfig": {"Mode": config.tracing_mode},
        "RevisionId": config.revision_id,
        "State": config.state.value,
        "LastUpdateStatus": config.last_update_status.value,
        "PackageType": "Zip",
        "Architectures": list(config.architectures),
        "EphemeralStorage": {"Size": config.ephemeral_storage},
        "SnapStart": {
            "ApplyOn": config.snap_start,
            "OptimizationStatus": "On" if config.snap_started else "Off",
        },
        "RuntimeVersionConfig": {
            "RuntimeVersionArn": f"arn:aws:lambda:{region}::runtime:{config.runtime}"
        },
        "LoggingConfig": logging_config(config),
    }
    if not config.handler:  # a custom runtime's may be absent (it runs its bootstrap)
        del doc["Handler"]
    if config.environment:
        doc["Environment"] = {"Variables": dict(config.environment)}
    if config.dead_letter_target_arn:
        doc["DeadLetterConfig"] = {"TargetArn": config.dead_letter_target_arn}
    if config.layers:
        sizes = {ref.arn: ref.size for ref in config.layer_refs}
        doc["Layers"] = [{"Arn": arn, "CodeSize": sizes.get(arn, 0)} for arn in config.layers]
    optional = {
        "StateReason": config.state_reason,
        "StateReasonCode": config.state_reason_code,
        "LastUpdateStatusReason": config.last_update_status_reason,
        "LastUpdateStatusReasonCode": config.last_update_status_reason_code,
    }
    doc.update({k: v for k, v in optional.items() if v is not None})
    return doc


def alias_configuration(alias: Alias, region: str, account: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "AliasArn": function_arn(region, account, alias.function_name, alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.additional_version_weights:
        doc["RoutingConfig"] = {"AdditionalVersionWeights": alias.additional_version_weights}
    return doc

"""PutTargets validation: what EventBridge refuses before it stores a target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.services.events.errors import LimitExceededException, ValidationException
from lambdalite.services.events.transform import PREDEFINED, PathError, check_path, placeholders

MAX_TARGETS_PER_RULE = 5


def _check_arn(arn: str) -> None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[2]:
        raise ValidationException(
            f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
        )


def _check_input(target: Mapping[str, Any]) -> None:
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        raise ValidationException(
            "Only one of Input, InputPath, or InputTransformer must be provided for target "
            f"{target['Id']}."
        )
    transformer = target.get("InputTransformer") or {}
    names = transformer.get("InputPathsMap") or {}
    for name in placeholders(transformer.get("InputTemplate") or ""):
        if name not in names and name not in PREDEFINED:
            raise ValidationException(
                f"InputTemplate for target {target['Id']} contains invalid placeholder {name}."
            )
    paths = list(names.values())
    if target.get("InputPath"):
        paths.append(target["InputPath"])
    for path in paths:
        try:
            check_path(path)
        except PathError:
            raise ValidationException(
                f"Parameter InputPath is not valid. Reason: {path} is not a valid JSONPath."
            ) from None


def check_target(target: Mapping[str, Any]) -> None:
    arn = target["Arn"]
    _check_arn(arn)
    _check_input(target)
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dlq is not None and not dlq.startswith("arn:aws:sqs:"):
        raise ValidationException(
            f"Parameter DeadLetterConfig.Arn is not valid. Reason: {dlq} is not an SQS queue ARN."
        )
    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
    if arn.startswith("arn:aws:sqs:") and arn.endswith(".fifo") and not group:
        raise ValidationException(
            f"Parameter(s) SqsParameters must be specified for target: {target['Id']}."
        )


def check_targets(existing: Sequence[str], targets: Sequence[Mapping[str, Any]]) -> None:
    for target in targets:
        check_target(target)
    if len(set(existing) | {t["Id"] for t in targets}) > MAX_TARGETS_PER_RULE:
        raise LimitExceededException("The requested resource exceeds the maximum number allowed.")

"""What a stream batch's invocation came to (spec 4.7): success, a partial failure that
moves the checkpoint, a failure of the whole batch, or a throttle that does not count."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.esm.destination_record import parse_response as parse_response
from lambdalite.services.streams import StreamRecord


class Kind(enum.Enum):
    SUCCESS = "success"
    PARTIAL = "partial"  # records before `resume_at` succeeded
    FAILED = "failed"  # the function raised, or its partial response failed the batch
    THROTTLED = "throttled"  # the batch never reached the function: retry, uncounted


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Kind
    request_id: str = ""
    executed_version: str = "$LATEST"
    function_error: str | None = None
    response: Any = None  # the function's parsed response
    resume_at: int = 0  # PARTIAL: index in the batch of the first record to retry
    reason: str = ""
    state: Any = None  # tumbling windows: the state the function returned


def partial_failure(response: Any, batch: Sequence[StreamRecord]) -> tuple[Kind, int]:
    """ReportBatchItemFailures: (SUCCESS, 0), (PARTIAL, index of the lowest failed record)
    or (FAILED, 0) when the response names something that is not a record of the batch."""
    if response is None or response == "" or not isinstance(response, dict):
        return Kind.SUCCESS, 0
    failures = response.get("batchItemFailures")
    if not failures:
        return Kind.SUCCESS, 0
    if not isinstance(failures, list):
        return Kind.FAILED, 0
    index = {r.sequence_number: i for i, r in enumerate(batch)}
    lowest: int | None = None
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in index:
            return Kind.FAILED, 0
        lowest = index[ident] if lowest is None else min(lowest, index[ident])
    assert lowest is not None
    return (Kind.FAILED, 0) if lowest == 0 else (Kind.PARTIAL, lowest)

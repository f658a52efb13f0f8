"""Error raised for patterns that AWS would reject at create/update time."""

from __future__ import annotations

from typing import Literal

Dialect = Literal["eventbridge", "sns", "esm"]

# How each service frames the validator's reason. Callers map the exception to their own
# wire error (EventBridge InvalidEventPatternException, SNS InvalidParameter, Lambda
# InvalidParameterValueException); `str(exc)` is the service-shaped message.
_PREFIX: dict[str, str] = {
    "eventbridge": "Event pattern is not valid. Reason: ",
    "sns": "FilterPolicy: ",
}
# Lambda does not echo the reason for bad FilterCriteria (spec 5.3).
_ESM_MESSAGE = "Invalid filter pattern definition."


class InvalidEventPattern(ValueError):
    """A pattern failed validation; `reason` is the dialect-neutral explanation."""

    def __init__(self, reason: str, dialect: Dialect = "eventbridge") -> None:
        self.reason = reason
        self.dialect: Dialect = dialect
        if dialect == "esm":
            message = _ESM_MESSAGE
        else:
            message = _PREFIX[dialect] + reason
        self.message = message
        super().__init__(message)

"""CloudWatch Logs' wire errors (awsJson1_1: HTTP 400, `__type` and `message`)."""

from __future__ import annotations

from lambdalite.errors import AwsError


class LogsError(AwsError):
    has_type = False


class ResourceNotFoundException(LogsError):
    """The specified log group does not exist."""


class ResourceAlreadyExistsException(LogsError):
    """The specified resource already exists."""


class InvalidParameterException(LogsError):
    """A parameter is specified incorrectly."""


class LimitExceededException(LogsError):
    """Resource limit exceeded."""


GROUP_NOT_FOUND = "The specified log group does not exist."
STREAM_NOT_FOUND = "The specified log stream does not exist."

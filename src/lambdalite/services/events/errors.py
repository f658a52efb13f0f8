"""EventBridge's wire errors (names from the botocore model; EventBridge answers 400 to all
client errors, ResourceNotFoundException included, and 500 to InternalException)."""

from __future__ import annotations

from lambdalite.errors import AwsError


class EventsError(AwsError):
    has_type = False


class ValidationException(EventsError):
    """Parameter is not valid."""


class ResourceNotFoundException(EventsError):
    """The resource does not exist."""


class ResourceAlreadyExistsException(EventsError):
    """The resource already exists."""


class InvalidEventPatternException(EventsError):
    """Event pattern is not valid."""


class LimitExceededException(EventsError):
    """The request exceeded a limit."""


class InternalException(EventsError):
    """This exception occurs due to unexpected causes."""

    status_code = 500

"""SNS's wire errors. ``code`` is the botocore error shape name; the query layer turns it
into SNS's own code and status (``InvalidParameterException`` -> ``InvalidParameter`` 400,
``NotFoundException`` -> ``NotFound`` 404, ``InvalidParameterValueException`` ->
``ParameterValueInvalid`` 400, ...)."""

from __future__ import annotations

from lambdalite.errors import AwsError


class SnsError(AwsError):
    has_type = False


class InvalidParameter(SnsError):
    """Invalid parameter"""

    code = "InvalidParameterException"


class ParameterValueInvalid(SnsError):
    """Invalid parameter value"""

    code = "InvalidParameterValueException"


class NotFound(SnsError):
    """Topic does not exist"""

    code = "NotFoundException"
    status_code = 404


class EmptyBatchRequest(SnsError):
    """The batch request doesn't contain any entries."""

    code = "EmptyBatchRequestException"


class TooManyEntriesInBatchRequest(SnsError):
    """The batch request contains more entries than permissible."""

    code = "TooManyEntriesInBatchRequestException"


class BatchEntryIdsNotDistinct(SnsError):
    """Two or more batch entries in the request have the same Id."""

    code = "BatchEntryIdsNotDistinctException"


class InvalidBatchEntryId(SnsError):
    """The Id of a batch entry in a batch request doesn't abide by the specification."""

    code = "InvalidBatchEntryIdException"


class BatchRequestTooLong(SnsError):
    """The length of all the messages put together is more than the limit."""

    code = "BatchRequestTooLongException"


def invalid(what: str) -> InvalidParameter:
    """SNS's own phrasing: ``Invalid parameter: <what>``."""
    return InvalidParameter(f"Invalid parameter: {what}")

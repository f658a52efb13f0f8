"""SQS's wire errors, named as the error shapes of botocore's SQS model.

The dispatcher looks each ``code`` up in the model (json) or the rebuilt query model, which
gives the query code botocore reports (``QueueDoesNotExist`` is caught as
``AWS.SimpleQueueService.NonExistentQueue``) and the HTTP status. ``InvalidParameterValue``
and ``MissingParameter`` are SQS's common errors, not shapes: plain 400s.

    SqsError (AwsError)
    ├── QueueDoesNotExist, QueueNameExists, PurgeQueueInProgress
    ├── InvalidAttributeName, InvalidAttributeValue
    ├── InvalidParameterValue, MissingParameter, InvalidMessageContents, UnsupportedOperation
    ├── ReceiptHandleIsInvalid, MessageNotInflight
    └── EmptyBatchRequest, TooManyEntriesInBatchRequest, BatchEntryIdsNotDistinct,
        BatchRequestTooLong, InvalidBatchEntryId
"""

from __future__ import annotations

from lambdalite.errors import AwsError


class SqsError(AwsError):
    has_type = False


class QueueDoesNotExist(SqsError):
    """The specified queue does not exist."""


class QueueNameExists(SqsError):
    """A queue with this name already exists with different attributes."""


class PurgeQueueInProgress(SqsError):
    """Only one PurgeQueue operation on a queue is allowed every 60 seconds."""

    status_code = 403


class InvalidAttributeName(SqsError):
    """The specified attribute doesn't exist."""


class InvalidAttributeValue(SqsError):
    """A queue attribute value is invalid."""


class InvalidParameterValue(SqsError):
    """An invalid or out-of-range value was supplied for the input parameter."""


class MissingParameter(SqsError):
    """A required parameter is missing."""


class InvalidMessageContents(SqsError):
    """The message contains characters outside the allowed set."""


class ResourceNotFoundException(SqsError):
    """One or more specified resources don't exist."""


class UnsupportedOperation(SqsError):
    """Error code 400. Unsupported operation."""


class ReceiptHandleIsInvalid(SqsError):
    """The specified receipt handle isn't valid."""


class MessageNotInflight(SqsError):
    """The specified message isn't in flight."""


class EmptyBatchRequest(SqsError):
    """The batch request doesn't contain any entries."""


class TooManyEntriesInBatchRequest(SqsError):
    """The batch request contains more entries than permissible."""


class BatchEntryIdsNotDistinct(SqsError):
    """Two or more batch entries in the request have the same Id."""


class BatchRequestTooLong(SqsError):
    """The length of all the messages put together is more than the limit."""


class InvalidBatchEntryId(SqsError):
    """The Id of a batch entry in a batch request doesn't abide by the specification."""

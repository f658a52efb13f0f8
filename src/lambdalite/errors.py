"""Errors, named exactly as AWS names them on the wire.

Wire errors carry the facts the API edge needs (code, HTTP status, body casing); handlers
only raise them and ``api/errors.py`` turns them into responses in one place.

    LambdaliteError
    ├── AwsError                          (wire errors; code == class name unless set)
    │   ├── ValidationException                         400  {"message"}
    │   ├── InvalidParameterValueException              400  {"Type","message"}
    │   ├── InvalidRequestContentException              400  {"Type","message"}
    │   ├── ResourceNotFoundException                   404  {"Type","Message"}
    │   ├── ResourceConflictException                   409  {"Type","message"}
    │   ├── ResourceInUseException                      400  {"Type","Message"}
    │   ├── PreconditionFailedException                 412  {"Type","message"}
    │   ├── PolicyLengthExceededException               400  {"Type","message"}
    │   ├── RequestTooLargeException                    413  (wire: RequestEntityTooLarge...)
    │   ├── UnsupportedMediaTypeException               415
    │   ├── TooManyRequestsException                    429  {"Reason","Type","message"}
    │   ├── AccessDeniedException                       403
    │   ├── UnrecognizedClientException / UnknownOperationException
    │   └── ServiceException                            500  {"Type","Message"}
    └── InternalError                     (never reaches the wire as itself)
        ├── StorageError
        └── SandboxError
            ├── ForkServerError           (sandbox/errors.py)
            └── SandboxCrashed            (sandbox/errors.py)
"""

from __future__ import annotations

from typing import ClassVar


class LambdaliteError(Exception):
    """Base of every error lambdalite raises on purpose."""


class AwsError(LambdaliteError):
    """An error with an AWS wire identity."""

    code: ClassVar[str] = ""
    status_code: ClassVar[int] = 400
    error_kind: ClassVar[str] = "User"  # the "Type" member of the body
    message_key: ClassVar[str] = "message"  # AWS's body casing differs per shape
    has_type: ClassVar[bool] = True

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else (self.__doc__ or "").strip()
        super().__init__(self.message)

    @property
    def wire_code(self) -> str:
        return self.code or type(self).__name__

    def body(self) -> dict[str, object]:
        doc: dict[str, object] = {}
        if self.has_type:
            doc["Type"] = self.error_kind
        doc[self.message_key] = self.message
        return doc

    def headers(self) -> dict[str, str]:
        return {}


class ValidationException(AwsError):
    """1 validation error detected."""

    has_type = False


class InvalidParameterValueException(AwsError):
    """One of the parameters in the request is not valid."""


class InvalidRequestContentException(AwsError):
    """The request body could not be parsed as JSON."""


class ResourceNotFoundException(AwsError):
    """The resource specified in the request does not exist."""

    status_code = 404
    message_key = "Message"


class ResourceConflictException(AwsError):
    """The resource already exists, or another operation is in progress."""

    status_code = 409


class ResourceInUseException(AwsError):
    """The operation conflicts with the resource's availability."""

    message_key = "Message"


class PreconditionFailedException(AwsError):
    """The RevisionId provided does not match the latest RevisionId."""

    status_code = 412


class PolicyLengthExceededException(AwsError):
    """The permissions policy for the resource is too large."""


class RequestTooLargeException(AwsError):
    """The request payload exceeded the Invoke request body JSON input quota."""

    status_code = 413
    code = "RequestEntityTooLargeException"


class UnsupportedMediaTypeException(AwsError):
    """The content type of the Invoke request body is not JSON."""

    status_code = 415


class AccessDeniedException(AwsError):
    """You do not have sufficient access to perform this action."""

    status_code = 403
    message_key = "Message"


class UnknownOperationException(AwsError):
    """The requested operation is not recognized by this endpoint."""

    status_code = 404
    message_key = "Message"


class TooManyRequestsException(AwsError):
    """Rate Exceeded."""

    status_code = 429

    def __init__(self, reason: str, retry_after_s: int | None = None) -> None:
        super().__init__("Rate Exceeded.")
        self.reason = reason
        self.retry_after_s = retry_after_s

    def body(self) -> dict[str, object]:
        return {"Reason": self.reason, "Type": self.error_kind, "message": self.message}

    def headers(self) -> dict[str, str]:
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(self.retry_after_s)}


class ServiceException(AwsError):
    """The AWS Lambda service encountered an internal error."""

    status_code = 500
    error_kind = "Service"
    message_key = "Message"


class SnapStartException(AwsError):
    """The afterRestore() runtime hook encountered an error."""


class SnapStartNotReadyException(AwsError):
    """Lambda is initializing your function. You can invoke the function when the function
    state becomes Active."""

    status_code = 409


class SnapStartTimeoutException(AwsError):
    """Lambda couldn't restore the snapshot within the timeout limit."""

    status_code = 408


class ProvisionedConcurrencyConfigNotFoundException(AwsError):
    """The specified configuration does not exist."""

    status_code = 404


class InternalError(LambdaliteError):
    """A fault inside lambdalite; the API edge reports it as ServiceException."""


class StorageError(InternalError):
    """The store failed to read or write."""


class SandboxError(InternalError):
    """The sandbox could not run an invocation: an environment could not be started or
    talked to. A function's own failure is a result, never this."""

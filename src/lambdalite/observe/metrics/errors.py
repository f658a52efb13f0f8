"""CloudWatch's errors, named by the model's error shapes (whose query codes botocore
reports as Error.Code: InvalidParameterValue, InvalidParameterCombination, ...).

    AwsError
    ├── InvalidParameterValue        400  InvalidParameterValueException
    ├── InvalidParameterCombination  400  InvalidParameterCombinationException
    ├── MissingParameter             400  MissingRequiredParameterException
    ├── LimitExceeded                400  LimitExceededFault
    ├── InvalidNextToken             400  InvalidNextToken
    └── ResourceNotFound             404  ResourceNotFound
"""

from __future__ import annotations

from lambdalite.errors import AwsError


class CloudWatchError(AwsError):
    has_type = False


class InvalidParameterValue(CloudWatchError):
    code = "InvalidParameterValueException"


class InvalidParameterCombination(CloudWatchError):
    code = "InvalidParameterCombinationException"


class MissingParameter(CloudWatchError):
    code = "MissingRequiredParameterException"


class LimitExceeded(CloudWatchError):
    code = "LimitExceededFault"


class InvalidNextToken(CloudWatchError):
    code = "InvalidNextToken"


class ResourceNotFound(CloudWatchError):
    code = "ResourceNotFound"
    status_code = 404

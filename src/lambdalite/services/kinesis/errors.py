"""Kinesis Data Streams errors, named as the kinesis model's error shapes.

    AwsError
    ├── ResourceNotFoundException   400  stream (or shard) does not exist or is not ACTIVE
    ├── ResourceInUseException      400  stream exists already / is not ACTIVE for the change
    ├── InvalidArgumentException    400  a value the model allows but Kinesis refuses
    ├── ExpiredIteratorException    400  shard iterator older than five minutes
    ├── ExpiredNextTokenException   400  ListShards/ListStreams token older than five minutes
    ├── LimitExceededException      400  over the shard or on-demand stream quota
    └── ValidationException         400  a request Kinesis refuses for the stream's mode

All are 400 with ``{"__type", "message"}`` bodies (the model marks them senderFault, no
httpStatusCode). Throughput limits (ProvisionedThroughputExceededException) are not modelled.
"""

from __future__ import annotations

from lambdalite.errors import AwsError


class KinesisError(AwsError):
    has_type = False


class ResourceNotFoundException(KinesisError):
    """Requested resource not found."""


class ResourceInUseException(KinesisError):
    """The resource is not available for this operation."""


class InvalidArgumentException(KinesisError):
    """A specified parameter exceeds its restrictions, is not supported, or can't be used."""


class ExpiredIteratorException(KinesisError):
    """The provided iterator exceeds the maximum age allowed."""


class ExpiredNextTokenException(KinesisError):
    """The pagination token passed to the operation is expired."""


class LimitExceededException(KinesisError):
    """The requested resource exceeds the maximum number allowed."""


class ValidationException(KinesisError):
    """The request was not valid."""

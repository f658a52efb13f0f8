"""Amazon SQS: standard and FIFO queues, durable in the platform's store."""

from __future__ import annotations

from lambdalite.services.sqs.service import SqsService

__all__ = ["SqsService"]

"""Amazon SNS: topics, subscriptions (sqs and lambda), durable asynchronous delivery."""

from __future__ import annotations

from lambdalite.services.sns.service import SnsService

__all__ = ["SnsService"]

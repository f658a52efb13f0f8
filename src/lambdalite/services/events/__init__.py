"""Amazon EventBridge: buses, rules (event patterns and schedules), targets and durable,
retried delivery to SQS, SNS, Lambda and other buses."""

from __future__ import annotations

from lambdalite.services.events.service import EventsService

__all__ = ["EventsService"]

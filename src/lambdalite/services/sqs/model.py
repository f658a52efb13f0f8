"""SQS value objects: a queue (settable attributes + identity) and a received message."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DEDUP_INTERVAL_S = 300.0  # FIFO deduplication interval (5 minutes)
MAX_BATCH = 10
MAX_MESSAGE_BYTES = 1_048_576  # model docs: bodies up to 1 MiB; also the batch total
FIFO_SUFFIX = ".fifo"


@dataclass(frozen=True, slots=True)
class RedrivePolicy:
    dead_letter_arn: str
    max_receive_count: int


@dataclass(slots=True)
class Queue:
    name: str
    arn: str
    attributes: dict[str, str]  # settable attributes, defaults filled in
    created: float
    modified: float
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def number(self, name: str) -> int:
        return int(self.attributes[name])

    @property
    def content_dedup(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"

    @property
    def redrive(self) -> RedrivePolicy | None:
        raw = self.attributes.get("RedrivePolicy")
        if not raw:
            return None
        doc = json.loads(raw)
        return RedrivePolicy(str(doc["deadLetterTargetArn"]), int(doc["maxReceiveCount"]))


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A validated message about to be committed."""

    body: str
    attributes: dict[str, dict[str, Any]]  # wire form; BinaryValue as bytes
    system_attributes: dict[str, dict[str, Any]]
    delay_s: int
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system: str | None
    sequence: str | None


@dataclass(frozen=True, slots=True)
class Received:
    """A message handed out by a receive, with its fresh receipt handle."""

    message_id: str
    receipt_handle: str
    body: str
    md5_body: str
    attributes: dict[str, dict[str, Any]]
    system_attributes: dict[str, dict[str, Any]]
    sent: float
    receive_count: int
    first_receive: float
    group_id: str | None
    dedup_id: str | None
    sequence: str | None
    dead_letter_source: str | None

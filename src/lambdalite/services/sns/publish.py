"""Publish and PublishBatch: validate, match every subscription's filter policy, commit the
publication with its deliveries (outbox rows) in one transaction, wake the outbox runner,
and only then return the MessageId."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lambdalite.clock import Clock
from lambdalite.errors import AwsError
from lambdalite.patterns import sns_attributes_match, sns_body_match
from lambdalite.services.sns import validate
from lambdalite.services.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    NotFound,
    TooManyEntriesInBatchRequest,
    invalid,
)
from lambdalite.services.sns.model import (
    MAX_MESSAGE_BYTES,
    Publication,
    Subscription,
    Topic,
    TopicArn,
)
from lambdalite.services.sns.store import Fanout, SnsStore

MAX_BATCH_ENTRIES = 10
DEDUP_WINDOW_S = 300.0  # FIFO topics: 5-minute deduplication interval
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@dataclass(frozen=True, slots=True)
class PublishRequest:
    message: str
    subject: str | None = None
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    structure: str | None = None
    group_id: str | None = None
    deduplication_id: str | None = None


@dataclass(frozen=True, slots=True)
class BatchFailure:
    id: str
    error: AwsError


class Publisher:
    def __init__(self, store: SnsStore, clock: Clock, on_enqueued: Callable[[], None]) -> None:
        self._store = store
        self._clock = clock
        self._on_enqueued = on_enqueued
        self._last_sequence = 0

    async def topic(self, arn: str | None) -> Topic:
        if not arn or TopicArn.parse(arn) is None:
            raise invalid("TopicArn")
        topic = await self._store.get_topic(arn)
        if topic is None:
            raise NotFound("Topic does not exist")
        return topic

    async def publish(self, topic_arn: str | None, request: PublishRequest) -> Publication:
        topic = await self.topic(topic_arn)
        publication = self._prepare(topic, request)
        subscriptions = await self._matching(topic, publication)
        return (await self._commit([(publication, subscriptions)]))[0]

    async def publish_to_topic(
        self,
        topic_arn: str,
        message: str,
        *,
        subject: str | None = None,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> str:
        request = PublishRequest(message, subject, dict(attributes or {}))
        return (await self.publish(topic_arn, request)).message_id

    async def publish_batch(
        self, topic_arn: str, entries: Sequence[tuple[str, PublishRequest]]
    ) -> tuple[list[tuple[str, Publication]], list[BatchFailure]]:
        """One transaction for the whole batch; entry problems are reported per entry.
        An empty or oversized batch is refused before the topic is looked at, the entry
        ids once it is found (the order AWS answers in)."""
        _check_batch_size(entries)
        topic = await self.topic(topic_arn)
        _check_batch_ids(entries)
        accepted: list[tuple[str, Fanout]] = []
        failed: list[BatchFailure] = []
        for entry_id, request in entries:
            try:
                publication = self._prepare(topic, request)
            except AwsError as exc:
                failed.append(BatchFailure(entry_id, exc))
                continue
            accepted.append((entry_id, (publication, await self._matching(topic, publication))))
        committed = await self._commit([fanout for _, fanout in accepted])
        return [
            (entry_id, pub) for (entry_id, _), pub in zip(accepted, committed, strict=True)
        ], failed

    def _prepare(self, topic: Topic, request: PublishRequest) -> Publication:
        if not request.message:
            raise invalid("Empty message")
        validate.check_subject(request.subject)
        validate.check_message_attributes(request.attributes)
        validate.check_size(request.message, request.attributes)
        messages = validate.parse_structure(request.message, request.structure)
        group_id, dedup_id, sequence = self._fifo_fields(topic, request)
        return Publication(
            message_id=str(uuid.uuid4()),
            topic_arn=topic.arn,
            message=request.message,
            timestamp=self._clock.now(),
            subject=request.subject,
            attributes={k: dict(v) for k, v in request.attributes.items()},
            messages=messages,
            group_id=group_id,
            deduplication_id=dedup_id,
            sequence_number=sequence,
        )

    def _fifo_fields(
        self, topic: Topic, request: PublishRequest
    ) -> tuple[str | None, str | None, str | None]:
        if not topic.fifo:
            if request.deduplication_id is not None:
                raise invalid(
                    "MessageDeduplicationId Reason: The request includes "
                    "MessageDeduplicationId parameter that is not valid for this topic type"
                )
            return None, None, None  # a group id on a standard topic has no effect
        if not request.group_id:
            raise invalid("The MessageGroupId parameter is required for FIFO topics")
        dedup = request.deduplication_id
        if dedup is None:
            if topic.attributes.get("ContentBasedDeduplication", "false").lower() != "true":
                raise invalid(
                    "The topic should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            dedup = hashlib.sha256(request.message.encode()).hexdigest()
        return request.group_id, dedup, self._next_sequence()

    def _next_sequence(self) -> str:
        # Increasing across restarts too: derived from the clock, bumped past the last one.
        self._last_sequence = max(self._last_sequence + 1, int(self._clock.now() * 1e6))
        return f"{self._last_sequence:020d}"

    async def send_to(self, message: Publication, subscription: Subscription) -> None:
        """Owe one message to one subscription (a SubscriptionConfirmation)."""
        await self._commit([(message, [subscription])])

    async def _matching(self, topic: Topic, publication: Publication) -> list[Subscription]:
        # Unconfirmed endpoints get nothing until they confirm.
        subscriptions = await self._store.topic_subscriptions(topic.arn)
        return [s for s in subscriptions if not s.pending and _passes_filter(s, publication)]

    async def _commit(self, fanouts: list[Fanout]) -> list[Publication]:
        if not fanouts:
            return []
        accepted = await self._store.enqueue(fanouts, self._clock.now(), DEDUP_WINDOW_S)
        if any(subs for _, subs in fanouts):
            self._on_enqueued()
        return accepted


def _passes_filter(sub: Subscription, publication: Publication) -> bool:
    policy = validate.filter_policy(sub.attributes)
    if policy is None:
        return True
    if sub.attributes.get("FilterPolicyScope") == "MessageBody":
        return sns_body_match(policy, publication.message_for(sub.protocol))
    return sns_attributes_match(policy, publication.attributes)


def _check_batch_size(entries: Sequence[tuple[str, PublishRequest]]) -> None:
    if not entries:
        raise EmptyBatchRequest()
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest()


def _check_batch_ids(entries: Sequence[tuple[str, PublishRequest]]) -> None:
    ids = [entry_id for entry_id, _ in entries]
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinct()
    for entry_id in ids:
        if not _BATCH_ID.match(entry_id):
            raise InvalidBatchEntryId()
    total = sum(validate.publication_size(r.message, r.attributes) for _, r in entries)
    if total > MAX_MESSAGE_BYTES:
        raise BatchRequestTooLong()

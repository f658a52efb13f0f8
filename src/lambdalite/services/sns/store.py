"""What SNS needs from storage: topics, subscriptions, FIFO deduplication, and publications
with the deliveries they owe.

The interface only: each backend implements it (``store/sqlite/sns.py`` today) and the
composition root hands the service one. Every state change is one transaction inside one
method; in particular a publication and all its deliveries (rows of the one outbox, see
``Delivery.entry``) commit together, so an acknowledged Publish survives ``kill -9`` with
every delivery it owes. The outbox runner sends them (``delivery.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from lambdalite.services.sns.model import Publication, Subscription, Topic

Fanout = tuple[Publication, Sequence[Subscription]]
"""A publication and the subscriptions whose filters it passed: one delivery each."""


class SnsStore(Protocol):
    # topics -----------------------------------------------------------------------------

    async def get_topic(self, arn: str) -> Topic | None: ...

    async def create_topic(self, arn: str, attributes: dict[str, str]) -> Topic:
        """Store the topic unless it exists; returns what is stored either way."""
        ...

    async def set_topic_attributes(self, arn: str, attributes: dict[str, str]) -> None: ...

    async def delete_topic(self, arn: str) -> None:
        """The topic, its subscriptions, their pending deliveries and its dedup entries."""
        ...

    async def list_topics(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(position, topic ARN) in creation order, positions after `after`."""
        ...

    # subscriptions ----------------------------------------------------------------------

    async def get_subscription(self, arn: str) -> Subscription | None: ...

    async def find_subscription(
        self, topic_arn: str, protocol: str, endpoint: str
    ) -> Subscription | None: ...

    async def add_subscription(self, sub: Subscription) -> None: ...

    async def set_subscription_attributes(self, arn: str, attributes: dict[str, str]) -> None: ...

    async def delete_subscription(self, arn: str) -> None:
        """Pending deliveries go with it: SNS stops delivering to a removed subscription."""
        ...

    async def list_subscriptions(
        self, topic_arn: str | None, after: int, limit: int
    ) -> list[tuple[int, Subscription]]:
        """(position, subscription) in creation order, of one topic or of all."""
        ...

    async def topic_subscriptions(self, topic_arn: str) -> list[Subscription]: ...

    async def count_subscriptions(self, topic_arn: str) -> int: ...

    # publications and deliveries --------------------------------------------------------

    async def enqueue(
        self, fanouts: Iterable[Fanout], now: float, dedup_window: float
    ) -> list[Publication]:
        """Commit publications with one outbox row (due `now`) per matched subscription, all
        at once. Returns what was accepted: for a FIFO duplicate within `dedup_window`
        seconds, the publication it repeats (and no new deliveries)."""
        ...

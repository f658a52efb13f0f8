"""The live feed: in-process publish/subscribe for the console's live regions.

Topics (observability brief 4.4): `overview`, `fn:<name>`, `journey:<request id>`,
`logs:<log group>`. Each subscriber has a bounded queue: when a slow reader falls behind,
the oldest events are dropped and counted, so a browser left open on a chatty function
costs the server at most `capacity` events. Publishing to a topic nobody watches is one
dict lookup: the invoke path pays nothing while no console is open.

The feed is not a ledger: a reader that reconnects re-reads the journal (what the pages
render), and the feed only says what changed since.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

DEFAULT_CAPACITY = 1000

Event = tuple[int, str, dict[str, Any]]  # sequence number, topic, data


class Subscription:
    def __init__(self, feed: LiveFeed, topics: frozenset[str], capacity: int) -> None:
        self.topics = topics
        self.capacity = capacity
        self.dropped = 0
        self._feed = feed
        self._events: deque[Event] = deque()
        self._ready = asyncio.Event()

    def put(self, event: Event) -> None:
        if len(self._events) >= self.capacity:
            self._events.popleft()
            self.dropped += 1
        self._events.append(event)
        self._ready.set()

    async def wait(self) -> None:
        await self._ready.wait()

    def take(self) -> list[Event]:
        events = list(self._events)
        self._events.clear()
        self._ready.clear()
        return events

    def close(self) -> None:
        self._feed.unsubscribe(self)


class LiveFeed:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._seq = 0
        self._by_topic: dict[str, set[Subscription]] = {}

    @property
    def active(self) -> bool:
        """Whether anyone watches any topic."""
        return bool(self._by_topic)

    def watched(self, topic: str) -> bool:
        return topic in self._by_topic

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        subscribers = self._by_topic.get(topic)
        if not subscribers:
            return
        self._seq += 1
        event = (self._seq, topic, data)
        for subscription in subscribers:
            subscription.put(event)

    def subscribe(self, topics: Iterable[str], capacity: int | None = None) -> Subscription:
        subscription = Subscription(self, frozenset(topics), capacity or self.capacity)
        for topic in subscription.topics:
            self._by_topic.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        for topic in subscription.topics:
            subscribers = self._by_topic.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_topic[topic]

    @property
    def subscribers(self) -> int:
        return len({s for subs in self._by_topic.values() for s in subs})

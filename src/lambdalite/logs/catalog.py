"""Log groups and log streams: create, describe (with real pagination), delete, retention
and tags, as CloudWatch Logs answers them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.clock import Clock
from lambdalite.logs.errors import (
    GROUP_NOT_FOUND,
    STREAM_NOT_FOUND,
    InvalidParameterException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from lambdalite.logs.store import LogGroupInfo, LogStore, LogStreamInfo
from lambdalite.logs.tokens import key_token, parse_key_token

PAGE = 50
GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
STREAM_NAME = re.compile(r"[^:*]{1,512}")
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_token: str | None


def paginate(
    items: Sequence[Any], key: Callable[[Any], list[Any]], token: str | None, limit: int
) -> Page:
    """Items after the token's key (items sorted by `key`, ascending or not)."""
    start = 0
    if token is not None:
        after = parse_key_token(token)
        start = next((i + 1 for i, item in enumerate(items) if key(item) == after), -1)
        if start < 0:  # the item it named is gone: resume at the first one sorting after it
            ascending = len(items) < 2 or key(items[0]) <= key(items[-1])
            start = next(
                (i for i, item in enumerate(items) if (key(item) > after) == ascending),
                len(items),
            )
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return Page(page, key_token(key(page[-1])) if more and page else None)


class LogCatalog:
    def __init__(self, store: LogStore, clock: Clock, on_retention: Callable[[], None]) -> None:
        self._store = store
        self._clock = clock
        self._on_retention = on_retention

    def _now_ms(self) -> int:
        return int(self._clock.now() * 1000)

    async def require_group(self, name: str) -> LogGroupInfo:
        group = await self._store.group(name)
        if group is None:
            raise ResourceNotFoundException(GROUP_NOT_FOUND)
        return group

    async def require_stream(self, group: str, name: str) -> LogStreamInfo:
        await self.require_group(group)
        for stream in await self._store.streams(group, name):
            if stream.name == name:
                return stream
        raise ResourceNotFoundException(STREAM_NOT_FOUND)

    # groups ------------------------------------------------------------------------------

    async def create_group(
        self, name: str, tags: dict[str, str] | None, log_group_class: str | None
    ) -> None:
        if not GROUP_NAME.fullmatch(name):
            raise InvalidParameterException(
                f"1 validation error detected: Value '{name}' at 'logGroupName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                r"[\.\-_/#A-Za-z0-9]+"
            )
        group = LogGroupInfo(
            name=name,
            creation_ms=self._now_ms(),
            log_group_class=log_group_class or "STANDARD",
            tags=dict(tags or {}),
        )
        if not await self._store.create_group(group):
            raise ResourceAlreadyExistsException("The specified log group already exists")

    async def delete_group(self, name: str) -> None:
        if not await self._store.delete_group(name):
            raise ResourceNotFoundException(GROUP_NOT_FOUND)

    async def describe_groups(
        self, prefix: str | None, pattern: str | None, token: str | None, limit: int | None
    ) -> Page:
        if prefix and pattern:
            raise InvalidParameterException(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        groups = await self._store.groups(prefix)
        if pattern:
            groups = [g for g in groups if pattern.lower() in g.name.lower()]
        return paginate(groups, lambda g: [g.name], token, limit or PAGE)

    async def set_retention(self, name: str, days: int | None) -> None:
        if days is not None and days not in RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in RETENTION_DAYS)
            raise InvalidParameterException(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{allowed}]"
            )
        if not await self._store.set_retention(name, days):
            raise ResourceNotFoundException(GROUP_NOT_FOUND)
        self._on_retention()

    async def tag(self, name: str, tags: dict[str, str]) -> None:
        group = await self.require_group(name)
        await self._store.set_tags(name, {**group.tags, **tags})

    async def untag(self, name: str, keys: Sequence[str]) -> None:
        group = await self.require_group(name)
        await self._store.set_tags(name, {k: v for k, v in group.tags.items() if k not in keys})

    # streams -----------------------------------------------------------------------------

    async def create_stream(self, group: str, name: str) -> None:
        if not STREAM_NAME.fullmatch(name):
            raise InvalidParameterException(
                f"1 validation error detected: Value '{name}' at 'logStreamName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
            )
        await self.require_group(group)
        if not await self._store.create_stream(group, name, self._now_ms()):
            raise ResourceAlreadyExistsException("The specified log stream already exists")

    async def delete_stream(self, group: str, name: str) -> None:
        await self.require_group(group)
        if not await self._store.delete_stream(group, name):
            raise ResourceNotFoundException(STREAM_NOT_FOUND)

    async def describe_streams(
        self,
        group: str,
        *,
        prefix: str | None,
        order_by: str | None,
        descending: bool,
        token: str | None,
        limit: int | None,
    ) -> Page:
        by_time = order_by == "LastEventTime"
        if by_time and prefix:
            raise InvalidParameterException(
                "Cannot order by LastEventTime with a logStreamNamePrefix."
            )
        await self.require_group(group)
        streams = await self._store.streams(group, prefix)

        def key(s: LogStreamInfo) -> list[Any]:
            return [s.last_event_ms or 0, s.name] if by_time else [s.name]

        streams.sort(key=key, reverse=descending)
        return paginate(streams, key, token, limit or PAGE)

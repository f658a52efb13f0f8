"""The running platform: every component, built once from Settings and passed down."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Protocol

from lambdalite.asyncq.queue import EventQueue
from lambdalite.clock import Clock, make_clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop, drain_all
from lambdalite.esm.destinations import MappingDestinations
from lambdalite.esm.model import SourceKind
from lambdalite.esm.service import EventSourceMappingService
from lambdalite.esm.sqs import SqsPollerDeps, SqsPollerFactory
from lambdalite.esm.streams.kinesis import KinesisFormat
from lambdalite.esm.streams.poller import StreamDeps, stream_poller_factory
from lambdalite.functions.aliases import AliasService
from lambdalite.functions.concurrency import ConcurrencyService
from lambdalite.functions.service import FunctionService
from lambdalite.invoke.concurrency import ConcurrencyLedger
from lambdalite.invoke.invoker import Invoker
from lambdalite.logs.writer import LogWriter
from lambdalite.observe.feed import LiveFeed
from lambdalite.observe.feed_sinks import FeedLogs, FeedOutcomes
from lambdalite.observe.journal import Retention
from lambdalite.observe.journal_writer import JournalWriter
from lambdalite.observe.outcome import OutcomeBoundary
from lambdalite.outbox.runner import OutboxRunner
from lambdalite.sandbox.envvars import sdk_defaults
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.runtime_packages import RuntimePackages
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.events import EventsService
from lambdalite.services.kinesis import KinesisService
from lambdalite.services.sns import SnsService
from lambdalite.services.sqs import SqsService
from lambdalite.services.sqs.moves import MessageMoves
from lambdalite.store.sqlite.backend import SqliteBackend

DRAIN_TIMEOUT_S = 60.0


class Component(Protocol):
    """Anything with background work: started after the store opens, stopped before it closes."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def due_loops(self) -> Sequence[DueLoop]:
        """The component's background loops (duework.py), which the platform drains."""
        ...


class Platform:
    def __init__(self, settings: Settings) -> None:
        # Environments chdir into code directories under data_dir: paths must be absolute.
        settings = dataclasses.replace(settings, data_dir=settings.data_dir.resolve())
        self.settings = settings
        self.clock: Clock = make_clock(settings.clock)
        self.directory = ServiceDirectory()
        self.components: list[Component] = []  # services add their background loops here
        self.backend = SqliteBackend(settings.database_path)
        self.store = self.backend.functions
        self.logs = LogWriter(self.backend.logs)
        self.pool = SandboxPool(
            self.logs,
            idle_ttl_s=settings.idle_ttl_s,
            tmp_root=settings.data_dir / "tmp",
            clock=self.clock,
            default_env=sdk_defaults(settings.host, settings.port),
            packages=RuntimePackages(settings.cache_dir / "runtime-packages"),
        )
        self.ledger = ConcurrencyLedger(settings.account_concurrency)
        # Sinks (metrics, journal, live feed) register here; the invoker records into it.
        self.outcomes = OutcomeBoundary()
        # The journal the console reads and the live feed, each a sink of its own. The
        # journal is the first component, so it stops last and keeps every outcome.
        self.journal = JournalWriter(
            self.clock,
            self.backend.journal,
            Retention(settings.journal_keep, settings.journal_days * 86400.0),
        )
        self.outcomes.add(self.journal)
        self.components.append(self.journal)
        self.feed = LiveFeed()
        self.outcomes.add(FeedOutcomes(self.feed))
        self.logs.listeners.append(FeedLogs(self.feed))
        self.invoker = Invoker(
            settings, self.pool, self.ledger, clock=self.clock, outcomes=self.outcomes
        )
        self.functions = FunctionService(settings, self.store, on_change=self.pool.retire)
        self.aliases = AliasService(self.store, self.functions)
        self.concurrency = ConcurrencyService(self.store, self.functions, self.ledger)
        # Every outgoing delivery; each service registers its kind's courier with it.
        self.outbox = OutboxRunner(self.clock, self.backend.outbox, self.directory)
        self.sqs = SqsService(settings, self.backend.sqs, self.clock)
        self.directory.sqs = self.sqs
        self.components.append(self.sqs)
        self.sqs_moves = MessageMoves(self.clock, self.sqs)  # StartMessageMoveTask
        self.components.append(self.sqs_moves)
        self.kinesis = KinesisService(settings, self.clock, self.backend.kinesis)
        self.components.append(self.kinesis)
        # What mappings read: queues, and stream readers by the service name in their ARNs.
        self.directory.queues = self.sqs
        self.directory.streams["kinesis"] = self.kinesis.stream_reader
        self.mappings = EventSourceMappingService(
            settings, self.clock, self.backend.event_source_mappings, self.store, self.directory
        )
        self.components.append(self.mappings)
        # Mapping destination records: rows of the outbox (kind "esm").
        self.mapping_destinations = MappingDestinations(
            self.clock, self.directory, self.backend.outbox, self.outbox
        )
        self.sqs_pollers = sqs_pollers = SqsPollerDeps(
            settings=settings,
            clock=self.clock,
            queues=self.sqs,
            functions=self.store,
            invoker=self.invoker,
            store=self.backend.event_source_mappings,
            directory=self.directory,
            destinations=self.mapping_destinations,
            resync=self.mappings.pollers.sync,
        )
        self.mappings.pollers.register(SourceKind.SQS, SqsPollerFactory(sqs_pollers))
        self.stream_deps = StreamDeps(
            settings, self.clock, self.backend.event_source_mappings, self.store, self.invoker,
            self.directory, self.mapping_destinations,
        )  # fmt: skip
        self.mappings.pollers.register(
            SourceKind.KINESIS, stream_poller_factory(self.stream_deps, KinesisFormat(), "kinesis")
        )
        self.sns = SnsService(settings, self.backend.sns, self.clock, self.directory, self.outbox)
        self.directory.sns = self.sns
        self.components.append(self.sns)
        self.events = EventsService(
            settings, self.backend.events, self.clock, self.directory, self.outbox
        )
        self.directory.events = self.events
        self.components.append(self.events)

        # Event invocations; last, so destination services start before and stop after it.
        self.async_queue = EventQueue(
            settings,
            self.clock,
            self.store,
            self.backend.async_events,
            self.invoker,
            self.directory,
            self.outbox,
        )
        self.directory.lambda_async = self.async_queue
        self.components.append(self.async_queue)
        # Last: it starts once every service it sends to has, and stops first.
        self.components.append(self.outbox)

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    async def start(self) -> None:
        await self.backend.open()
        await self.concurrency.load()
        await self.logs.start()
        await self.pool.start()
        for component in self.components:
            await component.start()

    async def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> bool:
        """Return once everything due by the clock's present (async events, deliveries,
        schedules, retention) is settled, following work from loop to loop; False if it was
        not within `timeout_s` of wall time (work keeps coming, or a handler is slow)."""
        loops = [loop for component in self.components for loop in component.due_loops()]
        # asyncio.wait, not asyncio.timeout: no server module relies on a current task.
        drained = asyncio.ensure_future(drain_all(loops))
        done, _ = await asyncio.wait({drained}, timeout=timeout_s)
        if not done:
            drained.cancel()
            return False
        return drained.result()

    async def stop(self) -> None:
        for component in reversed(self.components):
            await component.stop()
        await self.pool.stop(self.settings.shutdown_grace_s)
        await self.functions.wait_settled()
        await self.logs.stop()
        await self.backend.close()

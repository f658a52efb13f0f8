"""The running platform: every component, built once from Settings and passed down."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Protocol

from lambdalite.asyncq.queue import EventQueue
from lambdalite.build.builder import Builder
from lambdalite.build.functions import FunctionBuilds
from lambdalite.clock import Clock, make_clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop, drain_all
from lambdalite.errors import ResourceNotFoundException
from lambdalite.esm.destinations import MappingDestinations
from lambdalite.esm.model import SourceKind
from lambdalite.esm.service import EventSourceMappingService
from lambdalite.esm.sqs import SqsPollerDeps, SqsPollerFactory
from lambdalite.esm.streams.dynamodb import DynamoDBFormat
from lambdalite.esm.streams.kinesis import KinesisFormat
from lambdalite.esm.streams.poller import StreamDeps, stream_poller_factory
from lambdalite.functions.aliases import AliasService
from lambdalite.functions.concurrency import ConcurrencyService
from lambdalite.functions.permissions import PermissionService
from lambdalite.functions.provisioned import ProvisionedConcurrencyService
from lambdalite.functions.reload import LocalCodeWatcher
from lambdalite.functions.sandbox_provisioned import PoolAllocator
from lambdalite.functions.sandbox_snapshots import PoolSnapshots
from lambdalite.functions.service import FunctionService
from lambdalite.gateway.handler import GatewayHandler
from lambdalite.gateway.registry import GatewayRegistry
from lambdalite.gateway.server import GatewayApp, GatewayServer
from lambdalite.gateway.urls import FunctionUrls
from lambdalite.invoke.concurrency import ConcurrencyLedger
from lambdalite.invoke.import_check import HandlerImportCheck
from lambdalite.invoke.invoker import Invoker
from lambdalite.invoke.resolve import resolve_target
from lambdalite.layers.service import LayerService
from lambdalite.logs.service import LogsService
from lambdalite.logs.writer import LogWriter
from lambdalite.observe.api_requests import ApiRequests
from lambdalite.observe.batches import BatchJournal
from lambdalite.observe.feed import LiveFeed
from lambdalite.observe.feed_sinks import FeedLogs, FeedOutcomes
from lambdalite.observe.journal import Retention
from lambdalite.observe.journal_writer import JournalWriter
from lambdalite.observe.metrics.emf import EmfTap
from lambdalite.observe.metrics.service import MetricsService
from lambdalite.observe.otel import sink_from_environment
from lambdalite.observe.outcome import OutcomeBoundary
from lambdalite.observe.signals import NO_SIGNALS
from lambdalite.outbox.runner import OutboxRunner
from lambdalite.sandbox.envvars import sdk_defaults
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.runtime_packages import RuntimePackages
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.events import EventsService
from lambdalite.services.kinesis import KinesisService
from lambdalite.services.moto_backend import MotoServices
from lambdalite.services.sns import SnsService
from lambdalite.services.sqs import SqsService
from lambdalite.services.sqs.moves import MessageMoves
from lambdalite.store.sqlite.backend import SqliteBackend
from lambdalite.template.deploy import StackDeployer

log = logging.getLogger(__name__)
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
        if not settings.observe:  # nothing recorded: no metrics either
            settings = dataclasses.replace(settings, metrics=False)
        self.settings = settings
        self.drain_waited_on = ""  # the drain step a timed-out drain was still waiting on
        self.clock: Clock = make_clock(settings.clock)
        self.directory = ServiceDirectory()
        self.components: list[Component] = []  # services add their background loops here
        self.backend = SqliteBackend(settings.database_path)
        self.store = self.backend.functions
        self.logs = LogWriter(self.backend.logs, clock=self.clock)
        # Built before the pool: it taps the pool's log lines for Embedded Metric Format.
        self.metrics = MetricsService(
            self.clock, self.backend.metrics, settings.region, settings.account_id, settings.metrics
        )
        self.pool = SandboxPool(
            EmfTap(self.logs, self.metrics.recorder) if settings.metrics else self.logs,
            idle_ttl_s=settings.idle_ttl_s,
            tmp_root=settings.data_dir / "tmp",
            clock=self.clock,
            default_env=sdk_defaults(settings.host, settings.port),
            packages=RuntimePackages(settings.cache_dir / "runtime-packages"),
        )
        self.ledger = ConcurrencyLedger(settings.account_concurrency)
        self.api_requests = ApiRequests()  # lambdalite_api_requests_total
        # Sinks (metrics, journal, live feed) register here; the invoker records into it.
        self.outcomes = OutcomeBoundary()
        self._wire_observers()
        self.invoker = Invoker(
            settings, self.pool, self.ledger, clock=self.clock, outcomes=self.outcomes
        )
        self._wire_functions()
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
        # S3 and DynamoDB (embedded moto, the optional "services" extra); DynamoDB Streams
        # feed mappings like Kinesis, S3 notifications go out through the outbox.
        self.moto = MotoServices(
            settings, self.clock, self.directory, self.backend.outbox, self.outbox,
            self.backend.moto_requests,
        )  # fmt: skip
        self.directory.streams["dynamodb"] = self.moto.streams
        self.components.append(self.moto)
        self._wire_mappings()
        self.sns = SnsService(settings, self.backend.sns, self.clock, self.directory, self.outbox)
        self.directory.sns = self.sns
        self.metrics.alarms.publisher = self.sns
        self.components.append(self.sns)
        self.events = EventsService(
            settings, self.backend.events, self.clock, self.directory, self.outbox
        )
        self.directory.events = self.events
        self.components.append(self.events)
        self._wire_logs()

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
        if settings.metrics:
            self.stream_deps.signals = self.metrics.recorder
            self.mapping_destinations.signals = self.metrics.recorder
            self.async_queue.signals = self.async_queue.destinations.signals = self.metrics.recorder
        self.components.append(self.async_queue)
        # Last: it starts once every service it sends to has, and stops first.
        self.components.append(self.outbox)
        self._wire_gateway_and_stacks()

    def _wire_observers(self) -> None:
        """The sinks of the outcome boundary: journal, live feed, metrics, OpenTelemetry."""
        settings = self.settings
        # The journal the console reads and the live feed, each a sink of its own. The
        # journal is the first component, so it stops last and keeps every outcome.
        self.journal = JournalWriter(
            self.clock,
            self.backend.journal,
            Retention(settings.journal_keep, settings.journal_days * 86400.0),
        )
        self.components.append(self.journal)
        self.feed = LiveFeed()
        if settings.observe:
            if settings.journal:
                self.outcomes.add(self.journal)
            self.outcomes.add(FeedOutcomes(self.feed))
            self.logs.emit_listeners.append(FeedLogs(self.feed))
        # Second component: it starts before anything invokes and stores what all recorded.
        self.components.append(self.metrics)
        if settings.metrics:
            self.outcomes.add(self.metrics.recorder)
            self.ledger.signals = self.metrics.recorder
        self.otel = sink_from_environment(settings.region, settings.account_id)
        if self.otel is not None:
            self.outcomes.add(self.otel)

    def _wire_functions(self) -> None:
        """The Lambda control plane: functions (built, layered, watched), aliases,
        concurrency and resource policies."""
        settings = self.settings
        self.layers = LayerService(settings, self.backend.layers)
        self.functions = FunctionService(
            settings,
            self.store,
            on_change=self._function_changed,
            builder=FunctionBuilds(Builder(settings.cache_dir)),
            layers=self.layers,
            snapshots=PoolSnapshots(self.pool, self.invoker),  # SnapStart
        )
        # Functions run from local directories pick up edits (hot reload).
        self.code_watcher = LocalCodeWatcher(self.functions)
        self.components.append(self.code_watcher)
        self.aliases = AliasService(self.store, self.functions)
        self.concurrency = ConcurrencyService(self.store, self.functions, self.ledger)
        self.provisioned = ProvisionedConcurrencyService(
            self.backend.provisioned, self.functions, self.store,
            PoolAllocator(self.pool, self.invoker), self.ledger,
        )  # fmt: skip
        self.functions.on_delete.append(self.provisioned.forget)  # configs go with their target
        self.permissions = PermissionService(
            self.backend.policies, self.store, settings.region, settings.account_id
        )

    def _wire_mappings(self) -> None:
        """Event source mappings and their pollers, one factory per kind of source."""
        settings = self.settings
        self.mappings = EventSourceMappingService(
            settings, self.clock, self.backend.event_source_mappings, self.store, self.directory
        )
        self.components.append(self.mappings)
        # Mapping destination records: rows of the outbox (kind "esm").
        self.mapping_destinations = MappingDestinations(
            self.clock, self.directory, self.backend.outbox, self.outbox
        )
        self.batches = BatchJournal()  # what each mapping's batches came to (console S5)
        self.mapping_destinations.mappings = self.backend.event_source_mappings
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
            batches=self.batches,
            signals=self.metrics.recorder if settings.metrics else NO_SIGNALS,
        )
        self.mappings.pollers.register(SourceKind.SQS, SqsPollerFactory(sqs_pollers))
        self.stream_deps = StreamDeps(
            settings, self.clock, self.backend.event_source_mappings, self.store, self.invoker,
            self.directory, self.mapping_destinations, batches=self.batches,
        )  # fmt: skip
        self.mappings.pollers.register(
            SourceKind.KINESIS, stream_poller_factory(self.stream_deps, KinesisFormat(), "kinesis")
        )
        self.mappings.pollers.register(
            SourceKind.DYNAMODB,
            stream_poller_factory(self.stream_deps, DynamoDBFormat(), "dynamodb"),
        )

    def _wire_logs(self) -> None:
        settings = self.settings
        # CloudWatch Logs: groups, streams, reads, retention, subscription filters.
        self.cloudwatch_logs = LogsService(
            self.backend.logs, self.logs, self.clock, self.directory, self.function_log_group,
            account_id=settings.account_id, default_retention_days=settings.logs_retention_days,
        )  # fmt: skip
        self.components.append(self.cloudwatch_logs)

    def _wire_gateway_and_stacks(self) -> None:
        settings = self.settings
        # The HTTP gateway (API routes, function URLs): after everything it invokes into,
        # so it stops taking requests first. `gateway` is the ApiRegistry others declare to.
        self.gateway = GatewayRegistry(settings, self.backend.gateway)
        self.function_urls = FunctionUrls(settings, self.backend.gateway, self.store)
        handler = GatewayHandler(settings, self.store, self.invoker, self.function_urls)
        self.gateway_server = GatewayServer(
            settings,
            GatewayApp(self.gateway, self.function_urls, handler),
            (self.gateway.load, self.function_urls.load),
        )
        self.components.append(self.gateway_server)
        # `lambdalite up`: stacks provisioned through this server's own APIs.
        self.stacks = StackDeployer(
            self.backend.stacks, self.local_url, settings.region, settings.account_id,
            gateway=self.gateway,
            import_check=HandlerImportCheck(settings, self.store, self.invoker, self.pool),
            cache_dir=settings.cache_dir,
        )  # fmt: skip

    @property
    def local_url(self) -> str:
        """The URL this machine reaches the server at (0.0.0.0 listens on loopback too)."""
        host = "127.0.0.1" if self.settings.host in ("0.0.0.0", "::", "") else self.settings.host
        return f"http://{host}:{self.settings.port}"

    def _function_changed(self, name: str) -> None:
        self.pool.retire(name)
        self.code_watcher.changed(name)

    async def function_log_group(self, function: str) -> str | None:
        """The log group a function (name or ARN) writes to; None if there is none."""
        s = self.settings
        try:
            target = await resolve_target(self.store, function, None, s.region, s.account_id)
        except ResourceNotFoundException:
            return None
        return target.config.effective_log_group

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    async def start(self) -> None:
        await self.backend.open()
        await self.concurrency.load()
        await self.logs.start()
        await self.pool.start()
        await self.provisioned.load()
        for component in self.components:
            await component.start()

    async def drain(self, timeout_s: float = DRAIN_TIMEOUT_S) -> bool:
        """Return once everything due by the clock's present (async events, deliveries,
        schedules, retention) is settled, following work from loop to loop; False if it was
        not within `timeout_s` of wall time (work keeps coming, or a handler is slow). The
        step still waiting then is logged, to tell a slow handler from a stuck component."""
        steps: list[str] = []
        # asyncio.wait, not asyncio.timeout: no server module relies on a current task.
        drained = asyncio.ensure_future(self._settle_everything(steps))
        done, _ = await asyncio.wait({drained}, timeout=timeout_s)
        if not done:
            drained.cancel()
            self.drain_waited_on = steps[-1]
            log.warning("drain: not settled within %.1f s, waiting on %s", timeout_s, steps[-1])
            return False
        await self.logs.flush()  # what the drained work logged is readable once it answers
        return drained.result()

    async def _settle_everything(self, steps: list[str]) -> bool:
        steps.append("code changes")
        await self.code_watcher.scan()  # edits made before the drain count as made
        steps.append("function state transitions")  # SnapStart snapshots, ...
        await self.functions.wait_settled()
        steps.append("provisioned environments being initialised")
        await self.provisioned.wait_settled()
        steps.append("extensions (Shutdown phases, Telemetry API batches, spare restores)")
        await self.pool.settle()
        steps.append("due work")
        loops = [loop for component in self.components for loop in component.due_loops()]
        return await drain_all(loops)

    async def stop(self) -> None:
        for component in reversed(self.components):
            await component.stop()
        await self.pool.stop(self.settings.shutdown_grace_s)
        await self.functions.wait_settled()
        await self.logs.stop()
        if self.otel is not None:
            await asyncio.to_thread(self.otel.shutdown)
        await self.backend.close()

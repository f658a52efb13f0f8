"""`lambdalite serve`: run the server in this process."""

from __future__ import annotations

from pathlib import Path

import click

from lambdalite import config as defaults
from lambdalite.cli.options import region_option


@click.command()
@click.option(
    "--host",
    envvar="LAMBDALITE_HOST",
    default=defaults.DEFAULT_HOST,
    show_default=True,
    show_envvar=True,
)
@click.option(
    "--port",
    envvar="LAMBDALITE_PORT",
    default=defaults.DEFAULT_PORT,
    show_default=True,
    show_envvar=True,
    type=int,
)
@click.option(
    "--data-dir",
    envvar="LAMBDALITE_DATA_DIR",
    default=".lambdalite",
    show_default=True,
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@region_option
@click.option(
    "--account-id",
    envvar="LAMBDALITE_ACCOUNT_ID",
    default=defaults.DEFAULT_ACCOUNT_ID,
    show_default=True,
    show_envvar=True,
)
@click.option(
    "--account-concurrency",
    envvar="LAMBDALITE_ACCOUNT_CONCURRENCY",
    default=defaults.DEFAULT_ACCOUNT_CONCURRENCY,
    type=int,
    show_default=True,
    show_envvar=True,
    help="Account concurrency limit.",
)
@click.option(
    "--idle-ttl",
    envvar="LAMBDALITE_IDLE_TTL",
    default=defaults.DEFAULT_IDLE_TTL_S,
    type=float,
    show_default=True,
    show_envvar=True,
    help="Seconds before an idle environment is stopped.",
)
@click.option(
    "--shutdown-grace",
    envvar="LAMBDALITE_SHUTDOWN_GRACE",
    default=defaults.DEFAULT_SHUTDOWN_GRACE_S,
    type=float,
    show_default=True,
    show_envvar=True,
    help="Seconds in-flight invocations get to finish on SIGTERM.",
)
@click.option(
    "--example/--no-example",
    envvar="LAMBDALITE_EXAMPLE",
    default=True,
    show_default=True,
    show_envvar=True,
    help="Deploy the bundled example function 'hello'.",
)
@click.option(
    "--clock",
    envvar="LAMBDALITE_CLOCK",
    default="system",
    show_default=True,
    show_envvar=True,
    help="'system', 'virtual' (moved only by POST /_lambdalite/clock), or a time "
    "scale such as 60 to run AWS delays 60 times faster.",
)
@click.option(
    "--extensions/--no-extensions",
    envvar="LAMBDALITE_EXTENSIONS",
    default=False,
    show_default=True,
    show_envvar=True,
    help="Turn on lambdalite's behaviours beyond AWS (e.g. OnSuccess destinations on "
    "event source mappings); off, the API answers exactly as AWS does.",
)
@click.option(
    "--metrics/--no-metrics",
    envvar="LAMBDALITE_METRICS",
    default=True,
    show_default=True,
    show_envvar=True,
    help="Record CloudWatch and Prometheus metrics of every invocation (off: for benches).",
)
@click.option(
    "--observe/--no-observe",
    envvar="LAMBDALITE_OBSERVE",
    default=True,
    show_default=True,
    show_envvar=True,
    help="Record every invocation's outcome: metrics, the journal the console reads, the "
    "live feed (off: only to measure what recording costs).",
)
@click.option(
    "--journal/--no-journal",
    envvar="LAMBDALITE_JOURNAL",
    default=True,
    show_default=True,
    show_envvar=True,
    help="Keep the invocation journal the console reads (off: only to measure its cost).",
)
@click.option(
    "--cache-dir",
    envvar="LAMBDALITE_CACHE_DIR",
    default=None,
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the boto3 that function code imports is kept, shared by every data dir "
    "[default: $XDG_CACHE_HOME/lambdalite or ~/.cache/lambdalite].",
)
@click.option(
    "--gateway-port",
    envvar="LAMBDALITE_GATEWAY_PORT",
    default=defaults.DEFAULT_GATEWAY_PORT,
    type=int,
    show_default=True,
    show_envvar=True,
    help="Port of the HTTP gateway (API Gateway routes, function URLs, ALB targets); "
    "0 to not serve it.",
)
@click.option(
    "--logs-retention-days",
    envvar="LAMBDALITE_LOGS_RETENTION_DAYS",
    default=None,
    type=click.IntRange(min=1),
    show_envvar=True,
    help="Days function and user log events are kept in log groups without a retention "
    "policy of their own [default: forever, as AWS].",
)
@click.option(
    "--journal-keep",
    envvar="LAMBDALITE_JOURNAL_KEEP",
    default=10_000,
    type=click.IntRange(min=1),
    show_default=True,
    show_envvar=True,
    help="Invocations the journal (console, `lambdalite logs/events`) keeps per function.",
)
@click.option(
    "--journal-days",
    envvar="LAMBDALITE_JOURNAL_DAYS",
    default=7.0,
    type=click.FloatRange(min=0, min_open=True),
    show_default=True,
    show_envvar=True,
    help="Days (of the platform clock) the invocation journal keeps an invocation.",
)
def serve(
    host: str,
    port: int,
    data_dir: Path,
    region: str,
    account_id: str,
    account_concurrency: int,
    idle_ttl: float,
    shutdown_grace: float,
    example: bool,
    clock: str,
    extensions: bool,
    metrics: bool,
    observe: bool,
    journal: bool,
    cache_dir: Path | None,
    gateway_port: int,
    logs_retention_days: int | None,
    journal_keep: int,
    journal_days: float,
) -> None:
    """Run the server."""
    from lambdalite.clock import make_clock
    from lambdalite.server import serve as run

    try:
        make_clock(clock)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--clock") from None

    run(
        defaults.Settings(
            host=host,
            port=port,
            data_dir=data_dir.resolve(),
            region=region,
            account_id=account_id,
            account_concurrency=account_concurrency,
            idle_ttl_s=idle_ttl,
            shutdown_grace_s=shutdown_grace,
            deploy_example=example,
            clock=clock,
            extensions=extensions,
            metrics=metrics,
            observe=observe,
            journal=journal,
            cache_dir=(cache_dir or defaults.default_cache_dir()).resolve(),
            gateway_port=gateway_port,
            logs_retention_days=logs_retention_days,
            journal_keep=journal_keep,
            journal_days=journal_days,
        )
    )

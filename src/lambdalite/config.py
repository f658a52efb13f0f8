"""Settings, built once at the edge (CLI flags, then LAMBDALITE_* variables, then defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED_CONCURRENCY = 100
DEFAULT_IDLE_TTL_S = 600.0  # AWS reclaims idle environments after an undocumented 5-15 min
DEFAULT_SHUTDOWN_GRACE_S = 10.0
DEFAULT_GATEWAY_PORT = 3000  # where `sam local start-api` serves


def default_cache_dir() -> Path:
    """Where what every data dir can share lives (the runtime packages): the user's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lambdalite"


@dataclass(frozen=True, kw_only=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".lambdalite")
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    idle_ttl_s: float = DEFAULT_IDLE_TTL_S
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    deploy_example: bool = True
    clock: str = "system"  # "system", "virtual" (moved by POST /_lambdalite/clock) or a scale
    # Every lambdalite behaviour beyond AWS (today: OnSuccess destinations on mappings);
    # off, the API answers exactly as AWS does.
    extensions: bool = False
    metrics: bool = True  # record metrics at the outcome boundary (off only to measure it)
    # Record outcomes at all: metrics, journal, live feed (off only to measure their cost).
    observe: bool = True
    # Keep the invocation journal (off only to measure its cost; the console's lists are empty).
    journal: bool = True
    cache_dir: Path = field(default_factory=default_cache_dir)
    # The HTTP gateway's port (API routes, function URLs, ALB targets); 0: not served.
    # 0 here so that in-process platforms never bind; `serve` defaults to 3000.
    gateway_port: int = 0
    # Days log events of groups without a retention policy are kept (None: forever, as AWS).
    logs_retention_days: int | None = None
    # The invocation journal's retention (observe/journal.py): newest rows kept per function,
    # and the oldest kept, in days of platform-clock time.
    journal_keep: int = 10_000
    journal_days: float = 7.0

    @property
    def database_path(self) -> Path:
        return self.data_dir / "lambdalite.sqlite3"

    @property
    def code_dir(self) -> Path:
        return self.data_dir / "code"

    @property
    def layer_dir(self) -> Path:
        return self.data_dir / "layers"

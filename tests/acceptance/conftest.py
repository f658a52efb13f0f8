"""A real `lambdalite serve` process per session, driven by boto3 and the aws CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import ROLE, Server, start_server, stop_server, zip_source

# The tests import the server helpers from here, as they did before lambdalite.testing.
__all__ = ["ROLE", "Server", "create", "start_server", "stop_server", "zip_source"]

FUNCTIONS = Path(__file__).parent.parent / "fixtures" / "functions"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def lam(server: Server) -> Any:
    return server.client("lambda")


_counter = iter(range(1_000_000))


def create(
    lam: Any, source: str, *, handler: str = "app.handler", wait: bool = True, **config: Any
) -> str:
    name = f"fn-{os.getpid()}-{next(_counter)}"
    lam.create_function(
        FunctionName=name,
        Runtime=config.pop("Runtime", "python3.11"),
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_source(source)},
        **config,
    )
    if wait:
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
        )
    return name


@pytest.fixture(scope="session")
def powertools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """aws-lambda-powertools installed once per session into a code directory."""
    from tests.acceptance.powertools import install

    return install(tmp_path_factory.mktemp("powertools"))

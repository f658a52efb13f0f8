"""`lambdalite serve`: the platform behind uvicorn, with a graceful SIGTERM."""

from __future__ import annotations

import io
import logging
import zipfile
from importlib import resources

import uvicorn

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.lambda_api.functions import create_function
from lambdalite.api.uvicorn_check import http_protocol
from lambdalite.config import Settings
from lambdalite.platform import Platform

log = logging.getLogger("lambdalite")
EXAMPLE_FUNCTION = "hello"
EXAMPLE_ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def example_zip() -> bytes:
    buffer = io.BytesIO()
    source = resources.files("lambdalite.examples").joinpath("hello", "app.py").read_bytes()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


async def deploy_example(platform: Platform) -> None:
    if await platform.store.get_function(EXAMPLE_FUNCTION) is not None:
        return
    await create_function(
        platform,
        {
            "FunctionName": EXAMPLE_FUNCTION,
            "Runtime": "python3.11",
            "Handler": "app.handler",
            "Role": EXAMPLE_ROLE.replace("000000000000", platform.settings.account_id),
            "Code": {"ZipFile": example_zip()},
            "Description": "Example function deployed by lambdalite serve",
        },
    )
    await platform.functions.wait_settled()
    log.info("deployed example function %r", EXAMPLE_FUNCTION)


def build_app(settings: Settings) -> LambdaliteApp:
    platform = Platform(settings)
    return LambdaliteApp(platform, on_started=deploy_example if settings.deploy_example else None)


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=http_protocol(),  # lambdalite's protocol, or uvicorn's if its internals moved
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # no proxy in front; the middleware would cost every request
        server_header=False,
        log_level="warning",
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )


def serve(settings: Settings) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = uvicorn.Server(uvicorn_config(settings))
    log.info(
        "lambdalite listening on http://%s:%d (data in %s)",
        settings.host,
        settings.port,
        settings.data_dir,
    )
    server.run()

"""What `lambdalite up` runs: the server in this process, the deploy once it listens,
progress and outputs on stdout, then serving until Ctrl-C (or not, with --no-serve)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click
import uvicorn

from lambdalite.api.app import LambdaliteApp
from lambdalite.config import Settings
from lambdalite.server import uvicorn_config
from lambdalite.template.errors import TemplateError
from lambdalite.template.state import StackState

_STARTED_POLL_S = 0.01  # waiting for uvicorn's listening flag, which it offers no event for


def run(
    settings: Settings, template: Path, stack_name: str, overrides: dict[str, str], keep: bool
) -> bool:
    """Serve, deploy; True when the deploy succeeded (the previous state stays otherwise)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = uvicorn_config(settings)
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        return runner.run(_main(server, template, stack_name, overrides, keep))


async def _main(
    server: uvicorn.Server, template: Path, stack_name: str, overrides: dict[str, str], keep: bool
) -> bool:
    app = server.config.app
    assert isinstance(app, LambdaliteApp)
    platform = app.platform
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        if serving.done():
            return False
        await asyncio.sleep(_STARTED_POLL_S)
    click.echo(f"Deploying {template} as stack {stack_name} to {platform.local_url}")
    ok = True
    try:
        state = await platform.stacks.deploy(template, stack_name, overrides, click.echo)
        _report(state, platform.local_url)
    except TemplateError as exc:
        click.echo(f"Error: {exc}", err=True)
        click.echo("Nothing of this deploy is left; the previous stack state is unchanged.")
        ok = False
    if keep:
        click.echo(f"Serving on {platform.local_url} (Ctrl-C to stop)")
    else:
        server.should_exit = True
    await serving
    return ok


def _report(state: StackState, url: str) -> None:
    click.echo(f"Stack {state.name} deployed: {len(state.resources)} resources.")
    for name, value in state.outputs.items():
        click.echo(f"Output {name}: {value}")
    functions = [r for r in state.resources.values() if r.type == "AWS::Lambda::Function"]
    for function in functions:
        click.echo(f"Function {function.logical_id}: {function.physical_id}")
    click.echo(f"Endpoint: {url} (boto3 / aws CLI --endpoint-url)")

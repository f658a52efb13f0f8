"""`lambdalite generate-event`: print a sample event of a service that invokes functions
(as `sam local generate-event` does); `invoke --event-from` sends one (cli/functions.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from lambdalite import config as defaults
from lambdalite.samples.catalog import CatalogError, Kind, generate, kind_of, services

account_option = click.option(
    "--account-id",
    envvar="LAMBDALITE_ACCOUNT_ID",
    default=defaults.DEFAULT_ACCOUNT_ID,
    show_default=True,
    show_envvar=True,
    help="The account in the event's ARNs (the server's --account-id).",
)


def parse_params(args: Sequence[str]) -> dict[str, str]:
    """``--name value`` and ``--name=value`` pairs: the event's own parameters."""
    out: dict[str, str] = {}
    items = list(args)
    while items:
        flag = items.pop(0)
        if not flag.startswith("--") or len(flag) < 3:
            raise click.UsageError(f"unexpected argument {flag!r}; give --NAME VALUE pairs")
        name, eq, value = flag[2:].partition("=")
        if not eq:
            if not items:
                raise click.UsageError(f"{flag} needs a value")
            value = items.pop(0)
        out[name] = value
    return out


def sample_event(
    service: str, kind: str, params: dict[str, str], region: str, account: str
) -> tuple[Kind, Any]:
    try:
        found = kind_of(service, kind)
        return found, generate(found, {"region": region, "account": account, **params})
    except CatalogError as exc:
        raise click.UsageError(str(exc)) from None


def _list_services() -> None:
    for service in services().values():
        click.echo(f"{service.name:<20} {service.invocation_type:<16} {service.description}")


def _list_kinds(service: str) -> None:
    found = services().get(service)
    if found is None:
        raise click.UsageError(f"unknown service {service!r}; known: {', '.join(services())}")
    click.echo(f"{found.name}: {found.description} (invoked with {found.invocation_type})")
    for kind in found.kinds.values():
        options = " ".join(f"--{p}" for p in kind.params)
        click.echo(f"  {kind.name:<24} {kind.description}" + (f"  [{options}]" if options else ""))


@click.command(
    "generate-event",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("service", required=False)
@click.argument("kind", required=False)
@click.option(
    "--region", envvar="LAMBDALITE_REGION", default=defaults.DEFAULT_REGION, show_default=True
)
@account_option
@click.pass_context
def generate_event(
    ctx: click.Context, service: str | None, kind: str | None, region: str, account_id: str
) -> None:
    """Print a sample event of SERVICE of the given KIND; with no KIND, list the kinds (and
    their --NAME VALUE parameters); with nothing, list the services."""
    if service is None:
        _list_services()
        return
    if kind is None:
        _list_kinds(service)
        return
    _, event = sample_event(service, kind, parse_params(ctx.args), region, account_id)
    click.echo(json.dumps(event, indent=2))

"""`lambdalite up [TEMPLATE]`: serve, deploy a SAM/CloudFormation template into this
server, print its outputs and keep serving; `lambdalite down`: delete a stack through a
running server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from lambdalite import config as defaults
from lambdalite.cli.options import endpoint_option
from lambdalite.cli.serve import serve

_STACK_NAME = click.option(
    "--stack-name",
    envvar="LAMBDALITE_STACK_NAME",
    default=None,
    show_envvar=True,
    help="Name of the stack [default: the template directory's name].",
)


def _settings(options: dict[str, Any]) -> defaults.Settings:
    from lambdalite.clock import make_clock

    try:
        make_clock(options["clock"])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--clock") from None
    return defaults.Settings(
        host=options["host"],
        port=options["port"],
        data_dir=options["data_dir"].resolve(),
        region=options["region"],
        account_id=options["account_id"],
        account_concurrency=options["account_concurrency"],
        idle_ttl_s=options["idle_ttl"],
        shutdown_grace_s=options["shutdown_grace"],
        deploy_example=options["example"],
        clock=options["clock"],
        extensions=options["extensions"],
        metrics=options["metrics"],
        gateway_port=options["gateway_port"],
        cache_dir=(options["cache_dir"] or defaults.default_cache_dir()).resolve(),
    )


def _up(
    template: Path | None,
    stack_name: str | None,
    parameter_overrides: tuple[str, ...],
    serve_after: bool,
    **options: Any,
) -> None:
    """Deploy a SAM or CloudFormation template and serve it (every `serve` option applies)."""
    from lambdalite.cli.up_run import run
    from lambdalite.template import loader, parameters
    from lambdalite.template.errors import TemplateError

    try:
        path = loader.find_template(template, Path.cwd()).resolve()
        overrides = parameters.parse_overrides(parameter_overrides)
    except TemplateError as exc:
        raise click.ClickException(str(exc)) from None
    name = stack_name or _default_stack_name(path)
    ok = run(_settings(options), path, name, overrides, serve_after)
    if not ok:
        sys.exit(1)


def _default_stack_name(path: Path) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in path.parent.name)
    return (cleaned.strip("-") or "stack")[:128]


up = click.Command(
    "up",
    callback=_up,
    help=_up.__doc__,
    params=[
        click.Argument(["template"], required=False, type=click.Path(path_type=Path)),
        click.Option(
            ["--parameter-overrides"],
            multiple=True,
            help="KEY=VALUE (repeatable, or several separated by spaces).",
        ),
        click.Option(
            ["--serve/--no-serve", "serve_after"],
            default=True,
            envvar="LAMBDALITE_SERVE",
            show_envvar=True,
            help="Keep serving after the deploy (--no-serve: deploy, then stop).",
        ),
        *serve.params,
    ],
)
up.params.insert(1, click.Option(
    ["--stack-name"], envvar="LAMBDALITE_STACK_NAME", show_envvar=True, default=None,
    help="Name of the stack [default: the template directory's name].",
))  # fmt: skip


@click.command()
@click.argument("template", required=False, type=click.Path(path_type=Path))
@_STACK_NAME
@endpoint_option
def down(template: Path | None, stack_name: str | None, endpoint: str) -> None:
    """Delete a stack's resources through the running server."""
    import httpx

    if stack_name is None:
        base = template.resolve().parent if template else Path.cwd()
        stack_name = _default_stack_name(base / "template.yaml")
    response = httpx.delete(f"{endpoint}/_lambdalite/stacks/{stack_name}", timeout=3600)
    body = response.json()
    if response.status_code != 200:
        raise click.ClickException(body.get("message") or body.get("Message") or response.text)
    for line in body["Progress"]:
        click.echo(line)
    click.echo(f"Stack {stack_name} deleted.")

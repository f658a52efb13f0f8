"""`lambdalite coverage`: every operation of botocore's models, implemented or not, read off
the server's own routing tables (in-process: no server needed)."""

from __future__ import annotations

import json

import click


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown is docs/coverage.md's table.",
)
def coverage(fmt: str) -> None:
    """List, per service served, which AWS API operations are implemented."""
    from lambdalite.api import coverage as report
    from lambdalite.api.app import served_operations

    services = report.build(served_operations())
    if fmt == "json":
        click.echo(json.dumps(report.to_json(services), indent=2))
    elif fmt == "markdown":
        click.echo(report.to_markdown(services), nl=False)
    else:
        click.echo(report.to_text(services), nl=False)

"""Options more than one command takes, each with its LAMBDALITE_ twin."""

from __future__ import annotations

import click

from lambdalite import config as defaults
from lambdalite.cli.client import DEFAULT_ENDPOINT

endpoint_option = click.option(
    "--endpoint",
    envvar="LAMBDALITE_ENDPOINT",
    default=DEFAULT_ENDPOINT,
    show_default=True,
    show_envvar=True,
    help="URL of the lambdalite server.",
)
region_option = click.option(
    "--region",
    envvar="LAMBDALITE_REGION",
    default=defaults.DEFAULT_REGION,
    show_default=True,
    show_envvar=True,
)

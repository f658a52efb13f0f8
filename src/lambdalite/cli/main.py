"""`lambdalite`: serve, deploy, invoke, functions, logs, events, mappings, generate-event,
coverage (flags: LAMBDALITE_*).

The group and its wiring; each command lives in the module of its group (serve.py,
functions.py, logs.py, events.py, mappings.py), which never imports this one: `python -m
lambdalite.cli.main` runs this file as __main__, and a second import would be a second group.
"""

from __future__ import annotations

import os
import sys

import click

from lambdalite.cli.coverage import coverage
from lambdalite.cli.events import events
from lambdalite.cli.functions import deploy, functions, invoke
from lambdalite.cli.logs import logs
from lambdalite.cli.mappings import mappings
from lambdalite.cli.samples import generate_event
from lambdalite.cli.serve import serve
from lambdalite.cli.up import down, up


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lambdalite")
def cli() -> None:
    """AWS Lambda's execution models on your machine, without Docker."""


for command in (
    serve, up, down, deploy, invoke, functions, logs, events, mappings, generate_event, coverage,
):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

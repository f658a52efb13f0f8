"""`lambdalite logs`: a function's log lines, optionally followed."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import click

from lambdalite.cli.client import client, one_line_errors
from lambdalite.cli.options import endpoint_option, region_option
from lambdalite.cli.progress import Progress


@click.command()
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option("--since", default=3600.0, show_default=True, help="Seconds of history.")
@click.option(
    "--request-id", help="Only this invocation's lines (every attempt), from the journal."
)
@endpoint_option
@region_option
def logs(
    name: str, follow: bool, since: float, request_id: str | None, endpoint: str, region: str
) -> None:
    """Print a function's log lines."""
    if request_id:
        _invocation_lines(endpoint, request_id)
        return
    cw = client("logs", endpoint, region)
    kwargs: dict[str, Any] = {
        "logGroupName": f"/aws/lambda/{name}",
        "startTime": int((time.time() - since) * 1000),
    }
    # As `aws logs tail --follow` does: page with nextToken; then poll again from the newest
    # timestamp seen (startTime is inclusive), skipping the events already printed there.
    seen_at: set[str] = set()
    idle: Progress | None = None  # "following" on a terminal's stderr while nothing comes
    with one_line_errors(endpoint):
        while True:
            response = cw.filter_log_events(**kwargs)
            if response["events"] and idle is not None:
                idle.__exit__(None, None, None)
                idle = None
            for event in response["events"]:
                if event["eventId"] in seen_at:
                    continue
                click.echo(event["message"].rstrip("\n"))
                if event["timestamp"] > kwargs["startTime"]:
                    kwargs["startTime"], seen_at = event["timestamp"], set()
                seen_at.add(event["eventId"])
            if "nextToken" in response:
                kwargs["nextToken"] = response["nextToken"]
                continue
            if not follow:
                return
            kwargs.pop("nextToken", None)
            if idle is None:
                idle = Progress(f"following {kwargs['logGroupName']} (Ctrl-C to stop)").__enter__()
            try:
                time.sleep(0.5)
            except KeyboardInterrupt:
                idle.__exit__(None, None, None)
                raise


def _invocation_lines(endpoint: str, request_id: str) -> None:
    """The journal's runs of one request id (the console's JSON twin), with their lines."""
    from lambdalite.cli.events import get_json

    doc = get_json(endpoint, f"/_lambdalite/api/invocations/{quote(request_id)}", {})
    if not doc["runs"]:
        click.echo(f"error: no invocation with request id {request_id} is journalled", err=True)
        raise SystemExit(1)
    for run in doc["runs"]:
        for line in run["logs"]:
            click.echo(line["message"].rstrip("\n"))

"""`lambdalite events`: a function's recent Event invocations, or one event's journey."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import quote

import click

from lambdalite.cli.options import endpoint_option
from lambdalite.cli.table import print_table


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def get_json(endpoint: str, path: str, params: dict[str, str]) -> Any:
    import httpx

    try:
        response = httpx.get(f"{endpoint}{path}", params=params, timeout=30)
    except httpx.HTTPError:
        click.echo(
            f"error: cannot reach lambdalite at {endpoint} (is `lambdalite serve` running?)",
            err=True,
        )
        sys.exit(2)
    doc = response.json()
    if response.status_code != 200:
        message = doc.get("Message") or doc.get("message") or response.text
        click.echo(
            f"error: {response.headers.get('x-amzn-errortype', 'Error')}: {message}", err=True
        )
        sys.exit(1)
    return doc


def _print_journey(doc: dict[str, Any]) -> None:
    name = doc["functionName"] + (f":{doc['qualifier']}" if doc.get("qualifier") else "")
    click.echo(f"request   {doc['requestId']}")
    click.echo(f"function  {name}")
    source = f" (from {doc['source']})" if doc.get("source") else ""
    click.echo(f"accepted  {_when(doc['acceptedAt'])}{source}")
    for n, run in enumerate(doc.get("attempts", []), start=1):
        start = f"cold {run['initDurationMs']:.1f} ms" if run["cold"] else "warm"
        error = f" {run['errorType']}" if run.get("errorType") else ""
        click.echo(
            f"  attempt {n}  {_when(run['startedAt'])}  {run['durationMs']:>9.2f} ms  "
            f"{run['outcome']}{error} ({start})"
        )
    for entry in doc["journal"]:
        detail = f"  {entry['detail']}" if entry["detail"] else ""
        click.echo(f"  {_when(entry['at'])}  {entry['kind']:<8}  {entry['outcome']:<24}{detail}")
    for pending in doc["pendingDeliveries"]:
        click.echo(
            f"  pending   {pending['role']} {pending['target']} "
            f"(failed {pending['attempts']} times, next try {_when(pending['dueAt'])})"
        )
    count = doc["attemptCount"]
    if doc["state"] == "done":
        click.echo(f"final     {doc['condition']} after {count} attempt(s)")
    elif doc["state"] == "running":
        click.echo(f"running   attempt {count + 1} in progress")
    else:
        click.echo(f"queued    {count} attempt(s) so far, next {_when(doc['dueAt'])}")


@click.command()
@click.argument("function")
@click.option("--request-id", help="Show one event's attempts and where it went.")
@click.option("--limit", default=50, show_default=True, help="How many recent events.")
@endpoint_option
def events(function: str, request_id: str | None, limit: int, endpoint: str) -> None:
    """List a function's recent asynchronous (Event) invocations."""
    if request_id:
        # The console's JSON twin: the queue's journey joined with the journal's attempts.
        _print_journey(get_json(endpoint, f"/_lambdalite/api/events/{quote(request_id)}", {}))
        return
    params = {"function": function, "limit": str(limit)}
    doc = get_json(endpoint, "/_lambdalite/async-events", params)
    rows = [("REQUEST ID", "ACCEPTED", "STATE", "ATTEMPTS", "CONDITION", "SOURCE")]
    rows.extend(
        (
            e["requestId"],
            _when(e["acceptedAt"]),
            e["state"],
            str(e["attempts"]),
            e["condition"] or "-",
            e["source"] or "-",
        )
        for e in doc["events"]
    )
    print_table(rows)

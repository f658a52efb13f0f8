"""`lambdalite mappings`: event source mappings as a table, or one mapping in full.

It reads them through the Lambda API (ListEventSourceMappings, GetEventSourceMapping), so
it shows what any AWS client sees (state, last processing result), plus what the running
pollers count, from GET /_lambdalite/mapping-stats: batches, errors, and a stream's
iterator age (milliseconds from the last processed record's arrival to its processing) or
a queue's depth (its ApproximateNumberOfMessages); one mapping in full adds the time split
and its recent batches with their outcome.
"""

from __future__ import annotations

from typing import Any

import click

from lambdalite.cli.client import client, one_line_errors
from lambdalite.cli.options import endpoint_option, region_option
from lambdalite.cli.table import print_table


def _function(arn: str) -> str:
    """name, or name:qualifier, from a function ARN."""
    return arn.split(":function:", 1)[-1]


def _stats(endpoint: str) -> dict[str, Any]:
    """The pollers' counters by mapping UUID; none when the server does not offer them."""
    import httpx

    try:
        response = httpx.get(f"{endpoint}/_lambdalite/mapping-stats", timeout=30)
    except httpx.HTTPError:
        return {}
    return dict(response.json()) if response.status_code == 200 else {}


COUNTERS = ("Batches", "Errors", "Throttles", "Records", "IteratorAgeMilliseconds", "QueueDepth")
# a recent batch's columns: a stream's sequence range, a queue's message ids
BATCH_COLUMNS = (
    ("At", "AT"),
    ("Outcome", "OUTCOME"),
    ("Records", "RECORDS"),
    ("Deleted", "DELETED"),
    ("FirstSequenceNumber", "FIRST SEQUENCE"),
    ("LastSequenceNumber", "LAST SEQUENCE"),
    ("FirstMessageId", "FIRST MESSAGE ID"),
    ("LastMessageId", "LAST MESSAGE ID"),
)


def _show(mapping: dict[str, Any], stats: dict[str, Any] | None) -> None:
    for key, value in mapping.items():
        if key != "ResponseMetadata":
            click.echo(f"{key:<32}{value}")
    if not stats:
        return
    for key in COUNTERS:
        if key in stats:
            click.echo(f"{key:<32}{stats[key]}")
    for step, seconds in stats.get("Seconds", {}).items():
        click.echo(f"{step + ' seconds':<32}{seconds}")
    click.echo("\nRecent batches:")
    batches: list[dict[str, Any]] = stats["RecentBatches"]
    columns = [(k, title) for k, title in BATCH_COLUMNS if any(k in b for b in batches)]
    rows = [tuple(title for _, title in columns)]
    rows += [tuple(_cell(b.get(k)) for k, _ in columns) for b in batches]
    print_table(rows)


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _counts(stats: dict[str, Any] | None) -> tuple[str, str, str]:
    """Batches, errors, and the source's gauge: a stream's iterator age, a queue's depth."""
    if not stats:
        return "-", "-", "-"
    gauge = stats.get("IteratorAgeMilliseconds", stats.get("QueueDepth", "-"))
    return str(stats["Batches"]), str(stats["Errors"]), str(gauge)


@click.command()
@click.argument("uuid", required=False)
@click.option("--function", "function_name", help="Only this function's mappings.")
@click.option("--source", "source_arn", help="Only the mappings of this event source ARN.")
@endpoint_option
@region_option
def mappings(
    uuid: str | None,
    function_name: str | None,
    source_arn: str | None,
    endpoint: str,
    region: str,
) -> None:
    """List event source mappings, or show the one with UUID."""
    lam = client("lambda", endpoint, region)
    if uuid:
        with one_line_errors(endpoint):
            _show(lam.get_event_source_mapping(UUID=uuid), _stats(endpoint).get(uuid))
        return
    stats = _stats(endpoint)
    filters = {"FunctionName": function_name, "EventSourceArn": source_arn}
    rows = [
        ("UUID", "FUNCTION", "SOURCE", "STATE", "BATCHES", "ERRORS", "AGE MS/DEPTH", "LAST RESULT")
    ]
    with one_line_errors(endpoint):
        pages = lam.get_paginator("list_event_source_mappings").paginate(
            **{k: v for k, v in filters.items() if v}
        )
        for page in pages:
            rows.extend(
                (
                    m["UUID"],
                    _function(m["FunctionArn"]),
                    m["EventSourceArn"],
                    m["State"],
                    *_counts(stats.get(m["UUID"])),
                    m.get("LastProcessingResult", "-"),
                )
                for m in page["EventSourceMappings"]
            )
    print_table(rows)

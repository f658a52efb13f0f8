"""`lambdalite mappings`: event source mappings as a table, or one mapping in full.

It reads them through the Lambda API (ListEventSourceMappings, GetEventSourceMapping), so
it shows what any AWS client sees (state, last processing result), plus what the running
pollers count, from GET /_lambdalite/mapping-stats: batches, errors, and a stream's
iterator age (milliseconds from the last processed record's arrival to its processing).
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


def _show(mapping: dict[str, Any], stats: dict[str, Any] | None) -> None:
    for key, value in mapping.items():
        if key != "ResponseMetadata":
            click.echo(f"{key:<32}{value}")
    if not stats:
        return
    for key in ("Batches", "Errors", "Throttles", "Records", "IteratorAgeMilliseconds"):
        click.echo(f"{key:<32}{stats[key]}")
    click.echo("\nRecent batches:")
    rows = [("AT", "OUTCOME", "RECORDS", "FIRST SEQUENCE", "LAST SEQUENCE")]
    rows += [
        (
            f"{b['At']:.3f}",
            b["Outcome"],
            str(b["Records"]),
            b["FirstSequenceNumber"],
            b["LastSequenceNumber"],
        )
        for b in stats["RecentBatches"]
    ]
    print_table(rows)


def _counts(stats: dict[str, Any] | None) -> tuple[str, str, str]:
    if not stats:
        return "-", "-", "-"
    return str(stats["Batches"]), str(stats["Errors"]), str(stats["IteratorAgeMilliseconds"])


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
    rows = [("UUID", "FUNCTION", "SOURCE", "STATE", "BATCHES", "ERRORS", "AGE MS", "LAST RESULT")]
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

"""`lambdalite mappings`: event source mappings as a table, or one mapping in full.

It reads them through the Lambda API (ListEventSourceMappings, GetEventSourceMapping), so
it shows what any AWS client sees: state and last processing result today; batch counts,
errors and iterator age join when the pollers record them.
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


def _show(mapping: dict[str, Any]) -> None:
    for key, value in mapping.items():
        if key != "ResponseMetadata":
            click.echo(f"{key:<32}{value}")


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
            _show(lam.get_event_source_mapping(UUID=uuid))
        return
    filters = {"FunctionName": function_name, "EventSourceArn": source_arn}
    rows = [("UUID", "FUNCTION", "SOURCE", "STATE", "LAST RESULT")]
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
                    m.get("LastProcessingResult", "-"),
                )
                for m in page["EventSourceMappings"]
            )
    print_table(rows)

"""`lambdalite`: serve, deploy, invoke, functions, logs, events. Flags have LAMBDALITE_ twins."""

from __future__ import annotations

import base64
import io
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import click

from lambdalite import config as defaults
from lambdalite.cli.client import DEFAULT_ENDPOINT, client, one_line_errors

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lambdalite")
def cli() -> None:
    """AWS Lambda's execution models on your machine, without Docker."""


@cli.command()
@click.option(
    "--host",
    envvar="LAMBDALITE_HOST",
    default=defaults.DEFAULT_HOST,
    show_default=True,
    show_envvar=True,
)
@click.option(
    "--port",
    envvar="LAMBDALITE_PORT",
    default=defaults.DEFAULT_PORT,
    show_default=True,
    show_envvar=True,
    type=int,
)
@click.option(
    "--data-dir",
    envvar="LAMBDALITE_DATA_DIR",
    default=".lambdalite",
    show_default=True,
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@region_option
@click.option(
    "--account-id",
    envvar="LAMBDALITE_ACCOUNT_ID",
    default=defaults.DEFAULT_ACCOUNT_ID,
    show_default=True,
    show_envvar=True,
)
@click.option(
    "--account-concurrency",
    envvar="LAMBDALITE_ACCOUNT_CONCURRENCY",
    default=defaults.DEFAULT_ACCOUNT_CONCURRENCY,
    type=int,
    show_default=True,
    show_envvar=True,
    help="Account concurrency limit.",
)
@click.option(
    "--idle-ttl",
    envvar="LAMBDALITE_IDLE_TTL",
    default=defaults.DEFAULT_IDLE_TTL_S,
    type=float,
    show_default=True,
    show_envvar=True,
    help="Seconds before an idle environment is stopped.",
)
@click.option(
    "--shutdown-grace",
    envvar="LAMBDALITE_SHUTDOWN_GRACE",
    default=defaults.DEFAULT_SHUTDOWN_GRACE_S,
    type=float,
    show_default=True,
    show_envvar=True,
    help="Seconds in-flight invocations get to finish on SIGTERM.",
)
@click.option(
    "--example/--no-example",
    envvar="LAMBDALITE_EXAMPLE",
    default=True,
    show_default=True,
    show_envvar=True,
    help="Deploy the bundled example function 'hello'.",
)
@click.option(
    "--clock",
    envvar="LAMBDALITE_CLOCK",
    default="system",
    show_default=True,
    show_envvar=True,
    help="'system', 'virtual' (moved only by POST /_lambdalite/clock), or a time "
    "scale such as 60 to run AWS delays 60 times faster.",
)
def serve(
    host: str,
    port: int,
    data_dir: Path,
    region: str,
    account_id: str,
    account_concurrency: int,
    idle_ttl: float,
    shutdown_grace: float,
    example: bool,
    clock: str,
) -> None:
    """Run the server."""
    from lambdalite.clock import make_clock
    from lambdalite.server import serve as run

    try:
        make_clock(clock)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--clock") from None

    run(
        defaults.Settings(
            host=host,
            port=port,
            data_dir=data_dir.resolve(),
            region=region,
            account_id=account_id,
            account_concurrency=account_concurrency,
            idle_ttl_s=idle_ttl,
            shutdown_grace_s=shutdown_grace,
            deploy_example=example,
            clock=clock,
        )
    )


def zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            archive.write(path, path.relative_to(directory))
    return buffer.getvalue()


def _environment(pairs: tuple[str, ...]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--env")
        variables[key] = value
    return variables


@cli.command()
@click.argument("name")
@click.option(
    "--code",
    "code_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--handler", required=True, help="module.function, e.g. app.handler")
@click.option("--runtime", default="python3.11", show_default=True)
@click.option("--memory", type=int, help="MemorySize in MB.")
@click.option("--timeout", type=int, help="Timeout in seconds.")
@click.option("--env", "env_pairs", multiple=True, help="KEY=VALUE, repeatable.")
@click.option("--role", default="arn:aws:iam::000000000000:role/lambda-role", show_default=True)
@click.option(
    "--local",
    is_flag=True,
    help="Run straight from the directory instead of uploading a zip (non-AWS).",
)
@endpoint_option
@region_option
def deploy(
    name: str,
    code_dir: Path,
    handler: str,
    runtime: str,
    memory: int | None,
    timeout: int | None,
    env_pairs: tuple[str, ...],
    role: str,
    local: bool,
    endpoint: str,
    region: str,
) -> None:
    """Create a function, or update its code and configuration."""
    from lambdalite.api.lambda_api.functions import LOCAL_CODE_BUCKET

    code: dict[str, Any] = (
        {"S3Bucket": LOCAL_CODE_BUCKET, "S3Key": str(code_dir.resolve())}
        if local
        else {"ZipFile": zip_directory(code_dir)}
    )
    settings: dict[str, Any] = {"Handler": handler, "Runtime": runtime, "Role": role}
    if memory is not None:
        settings["MemorySize"] = memory
    if timeout is not None:
        settings["Timeout"] = timeout
    if env_pairs:
        settings["Environment"] = {"Variables": _environment(env_pairs)}
    lam = client("lambda", endpoint, region)
    with one_line_errors(endpoint):
        try:
            lam.get_function_configuration(FunctionName=name)
            exists = True
        except lam.exceptions.ResourceNotFoundException:
            exists = False
        if exists:
            lam.update_function_code(FunctionName=name, **code)
            lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
            result = lam.update_function_configuration(FunctionName=name, **settings)
            lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
        else:
            result = lam.create_function(FunctionName=name, Code=code, **settings)
            lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    _warn_if_substituted(endpoint, runtime)
    click.echo(
        f"{'updated' if exists else 'created'} {result['FunctionArn']} "
        f"({result['Runtime']}, {result['Handler']}, sha256 {result['CodeSha256']})"
    )


def _warn_if_substituted(endpoint: str, runtime: str) -> None:
    import httpx

    try:
        runtimes = httpx.get(f"{endpoint}/_lambdalite/runtimes", timeout=30).json()
    except (httpx.HTTPError, ValueError):
        return
    info = runtimes.get(runtime)
    if info and not info["exact"]:
        click.echo(
            f"warning: {runtime} is not installed on the server; the function runs on "
            f"{info['interpreter']}",
            err=True,
        )


def _payload(raw: str | None) -> bytes:
    if raw is None:
        return b"{}"
    if raw.startswith("@"):
        return Path(raw[1:]).read_bytes()
    return raw.encode()


@cli.command()
@click.argument("name")
@click.option("--payload", help="JSON text, or @file.")
@click.option("--qualifier", help="Version or alias.")
@click.option("--log", "show_log", is_flag=True, help="Print the invocation's log tail.")
@endpoint_option
@region_option
def invoke(
    name: str,
    payload: str | None,
    qualifier: str | None,
    show_log: bool,
    endpoint: str,
    region: str,
) -> None:
    """Invoke a function synchronously and print its response."""
    lam = client("lambda", endpoint, region)
    kwargs: dict[str, Any] = {"FunctionName": name, "Payload": _payload(payload)}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    if show_log:
        kwargs["LogType"] = "Tail"
    with one_line_errors(endpoint):
        response = lam.invoke(**kwargs)
    if show_log and "LogResult" in response:
        click.echo(base64.b64decode(response["LogResult"]).decode(errors="replace"), err=True)
    click.echo(response["Payload"].read().decode(errors="replace"))
    if "FunctionError" in response:
        sys.exit(1)


@cli.command()
@endpoint_option
@region_option
def functions(endpoint: str, region: str) -> None:
    """List functions as a table."""
    lam = client("lambda", endpoint, region)
    rows = [("NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "STATE", "LAST MODIFIED")]
    with one_line_errors(endpoint):
        for page in lam.get_paginator("list_functions").paginate():
            rows.extend(
                (
                    f["FunctionName"],
                    f["Runtime"],
                    f["Handler"],
                    str(f["MemorySize"]),
                    str(f["Timeout"]),
                    f.get("State", ""),
                    f["LastModified"],
                )
                for f in page["Functions"]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@cli.command()
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option("--since", default=3600.0, show_default=True, help="Seconds of history.")
@endpoint_option
@region_option
def logs(name: str, follow: bool, since: float, endpoint: str, region: str) -> None:
    """Print a function's log lines."""
    cw = client("logs", endpoint, region)
    kwargs: dict[str, Any] = {
        "logGroupName": f"/aws/lambda/{name}",
        "startTime": int((time.time() - since) * 1000),
    }
    with one_line_errors(endpoint):
        while True:
            response = cw.filter_log_events(**kwargs)
            for event in response["events"]:
                click.echo(event["message"].rstrip("\n"))
            if "nextToken" in response:
                kwargs["nextToken"] = response["nextToken"]
                continue
            if not follow:
                return
            if response["events"]:
                kwargs["nextToken"] = f"f/{response['events'][-1]['eventId']}"
            time.sleep(0.5)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _get_json(endpoint: str, path: str, params: dict[str, str]) -> Any:
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
    for entry in doc["journal"]:
        detail = f"  {entry['detail']}" if entry["detail"] else ""
        click.echo(f"  {_when(entry['at'])}  {entry['kind']:<8}  {entry['outcome']:<24}{detail}")
    for pending in doc["pendingDeliveries"]:
        click.echo(
            f"  pending   {pending['role']} {pending['target']} "
            f"(failed {pending['attempts']} times, next try {_when(pending['dueAt'])})"
        )
    if doc["state"] == "done":
        click.echo(f"final     {doc['condition']} after {doc['attempts']} attempt(s)")
    elif doc["state"] == "running":
        click.echo(f"running   attempt {doc['attempts'] + 1} in progress")
    else:
        click.echo(f"queued    {doc['attempts']} attempt(s) so far, next {_when(doc['dueAt'])}")


@cli.command()
@click.argument("function")
@click.option("--request-id", help="Show one event's attempts and where it went.")
@click.option("--limit", default=50, show_default=True, help="How many recent events.")
@endpoint_option
def events(function: str, request_id: str | None, limit: int, endpoint: str) -> None:
    """List a function's recent asynchronous (Event) invocations."""
    if request_id:
        _print_journey(_get_json(endpoint, "/_lambdalite/async-events", {"request-id": request_id}))
        return
    params = {"function": function, "limit": str(limit)}
    doc = _get_json(endpoint, "/_lambdalite/async-events", params)
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
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

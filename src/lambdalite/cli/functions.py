"""`lambdalite deploy`, `invoke` and `functions`: a function's code, calls and the list."""

from __future__ import annotations

import base64
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import click

from lambdalite.cli.client import client, one_line_errors
from lambdalite.cli.options import endpoint_option, region_option
from lambdalite.cli.progress import Progress
from lambdalite.cli.samples import account_option, parse_params, sample_event
from lambdalite.cli.table import print_table
from lambdalite.samples.catalog import services


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


@click.command()
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

    if local:
        code: dict[str, Any] = {"S3Bucket": LOCAL_CODE_BUCKET, "S3Key": str(code_dir.resolve())}
    else:
        with Progress(f"zipping {code_dir}"):
            code = {"ZipFile": zip_directory(code_dir)}
    settings: dict[str, Any] = {"Handler": handler, "Runtime": runtime, "Role": role}
    if memory is not None:
        settings["MemorySize"] = memory
    if timeout is not None:
        settings["Timeout"] = timeout
    if env_pairs:
        settings["Environment"] = {"Variables": _environment(env_pairs)}
    lam = client("lambda", endpoint, region)
    size = f" ({len(code['ZipFile']) / 1e6:.1f} MB)" if "ZipFile" in code else ""
    with one_line_errors(endpoint), Progress(f"deploying {name}{size}"):
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


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.option("--payload", help="JSON text, or @file.")
@click.option(
    "--event-from",
    nargs=2,
    metavar="SERVICE KIND",
    help="Send a sample event of SERVICE (see generate-event) with the invocation type that "
    "service uses; further --NAME VALUE pairs fill the event.",
)
@click.option("--qualifier", help="Version or alias.")
@click.option("--log", "show_log", is_flag=True, help="Print the invocation's log tail.")
@endpoint_option
@region_option
@account_option
@click.pass_context
def invoke(
    ctx: click.Context,
    name: str,
    payload: str | None,
    event_from: tuple[str, str] | None,
    qualifier: str | None,
    show_log: bool,
    endpoint: str,
    region: str,
    account_id: str,
) -> None:
    """Invoke a function (synchronously unless --event-from names a service that invokes
    asynchronously) and print its response."""
    kwargs: dict[str, Any] = {"FunctionName": name}
    if event_from is None:
        if ctx.args:
            raise click.UsageError(f"unexpected arguments {' '.join(ctx.args)}")
        kwargs["Payload"] = _payload(payload)
    else:
        if payload is not None:
            raise click.UsageError("give --payload or --event-from, not both")
        kind, event = sample_event(*event_from, parse_params(ctx.args), region, account_id)
        kwargs["Payload"] = json.dumps(event).encode()
        kwargs["InvocationType"] = services()[kind.service].invocation_type
        click.echo(
            f"{kind.service} {kind.name} event, InvocationType={kwargs['InvocationType']} "
            f"(as {kind.service} invokes)",
            err=True,
        )
    if qualifier:
        kwargs["Qualifier"] = qualifier
    if show_log and kwargs.get("InvocationType") != "Event":
        kwargs["LogType"] = "Tail"
    lam = client("lambda", endpoint, region)
    with one_line_errors(endpoint):
        response = lam.invoke(**kwargs)
    if kwargs.get("InvocationType") == "Event":
        request_id = response["ResponseMetadata"]["RequestId"]
        click.echo(f"accepted ({response['StatusCode']}), request id {request_id}")
        return
    if show_log and "LogResult" in response:
        click.echo(base64.b64decode(response["LogResult"]).decode(errors="replace"), err=True)
    click.echo(response["Payload"].read().decode(errors="replace"))
    if "FunctionError" in response:
        sys.exit(1)


@click.command()
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
    print_table(rows)

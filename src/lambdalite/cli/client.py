"""botocore clients pointed at a lambdalite endpoint, and one-line error reporting."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def client(service: str, endpoint: str, region: str) -> Any:
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="lambdalite",
        aws_secret_access_key="lambdalite",
        config=botocore.config.Config(read_timeout=960, retries={"max_attempts": 1}),
    )


@contextmanager
def one_line_errors(endpoint: str) -> Iterator[None]:
    """Errors are one clear line on stderr and a non-zero exit, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        click.echo(f"error: {error.get('Code', 'Error')}: {error.get('Message', '')}", err=True)
        sys.exit(1)
    except EndpointConnectionError:
        click.echo(
            f"error: cannot reach lambdalite at {endpoint} (is `lambdalite serve` running?)",
            err=True,
        )
        sys.exit(2)
    except BotoCoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)

"""HTML from view models: Jinja2 with autoescaping on for every template, so that user
content (function names, payloads, log lines, error messages, queue bodies) is text."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

import jinja2

from lambdalite.console.links import resource_path


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def pretty(text: str) -> str:
    """JSON pretty-printed when it is JSON, else as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lambdalite.console", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["pretty"] = pretty
    env.filters["resource_link"] = resource_path
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    return env


def render(template: str, **context: Any) -> bytes:
    return environment().get_template(template).render(**context).encode()

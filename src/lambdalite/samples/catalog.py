"""The catalogue of sample events: JSON templates under ``events/<service>/<kind>.json``.

A template is ``{"description", "params": {name: default}, "event": ..., "encode"?}``. Every
string in ``event`` may hold ``${name}`` or ``${name:filter}`` placeholders, filled from the
params (with ``region`` and ``account`` always known), so an event stays internally
consistent: the bucket in the ARN is the bucket in the name. Substitution happens inside
parsed JSON strings, so any value is escaped correctly. ``encode: "awslogs"`` wraps the
filled document as CloudWatch Logs delivers it to a subscribed function.

``services.json`` says how each service invokes a function (spec 6.1): ``RequestResponse``
or ``Event``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import quote_plus

_PLACEHOLDER = re.compile(r"\$\{([a-z][a-z0-9-]*)(?::([a-z0-9]+))?\}")
_FILTERS: dict[str, Callable[[str], str]] = {
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "urlencoded": quote_plus,  # S3 keys arrive URL-encoded, spaces as '+' (spec 6.4)
    "md5": lambda v: hashlib.md5(v.encode()).hexdigest(),  # SQS's md5OfBody
    "json": lambda v: json.dumps(v)[1:-1],  # inside a JSON text held in a string member
}
ALWAYS = ("region", "account")


class CatalogError(LookupError):
    """An unknown service, kind or parameter."""


@dataclass(frozen=True, slots=True)
class Kind:
    service: str
    name: str
    description: str
    params: Mapping[str, str]  # name -> default
    template: Any
    encode: str | None


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    invocation_type: str  # "RequestResponse" or "Event", as the service invokes
    description: str
    kinds: Mapping[str, Kind]


def _root() -> Traversable:
    return resources.files(__package__ or "lambdalite.samples").joinpath("events")


@cache
def services() -> dict[str, Service]:
    root = _root()
    index = json.loads(root.joinpath("services.json").read_text())
    out: dict[str, Service] = {}
    for name, info in sorted(index.items()):
        kinds: dict[str, Kind] = {}
        for entry in sorted(root.joinpath(name).iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".json"):
                continue
            doc = json.loads(entry.read_text())
            kind = entry.name.removesuffix(".json")
            kinds[kind] = Kind(
                name, kind, doc["description"], doc.get("params", {}), doc["event"],
                doc.get("encode"),
            )  # fmt: skip
        out[name] = Service(name, info["invocationType"], info["description"], kinds)
    return out


def kind_of(service: str, kind: str) -> Kind:
    found = services().get(service)
    if found is None:
        raise CatalogError(f"unknown service {service!r}; known: {', '.join(services())}")
    if kind not in found.kinds:
        known = ", ".join(found.kinds)
        raise CatalogError(f"unknown kind {kind!r} of {service}; known: {known}")
    return found.kinds[kind]


def generate(kind: Kind, values: Mapping[str, str]) -> Any:
    """The event of ``kind`` with ``values`` (region and account among them) over defaults."""
    unknown = set(values) - set(kind.params) - set(ALWAYS)
    if unknown:
        raise CatalogError(
            f"{kind.service} {kind.name} takes no {', '.join(sorted(unknown))}; "
            f"it takes: {', '.join([*kind.params, *ALWAYS])}"
        )
    always = {k: values[k] for k in ALWAYS if k in values}
    # A default may name region or account (a bucket named after its region, say).
    params = {
        k: _PLACEHOLDER.sub(lambda m: always.get(m.group(1), m.group(0)), v)
        for k, v in kind.params.items()
    }
    params.update(values)
    missing = set(ALWAYS) - set(params)
    if missing:
        raise CatalogError(f"give {', '.join(sorted(missing))}")

    def fill(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            value = params[m.group(1)]
            return _FILTERS[m.group(2)](value) if m.group(2) else value

        return _PLACEHOLDER.sub(one, text)

    event = _walk(kind.template, fill)
    if kind.encode == "awslogs":
        return {"awslogs": {"data": encode_awslogs(event)}}
    return event


def _walk(value: Any, fill: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [_walk(v, fill) for v in value]
    if isinstance(value, dict):
        return {fill(k): _walk(v, fill) for k, v in value.items()}
    return value


def encode_awslogs(document: Any) -> str:
    """CloudWatch Logs' subscription payload: the JSON document gzipped, then base64."""
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw)).decode()


def decode_awslogs(data: str) -> Any:
    return json.loads(gzip.decompress(base64.b64decode(data)))

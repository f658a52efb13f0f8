"""Which operations of botocore's models the server implements, per service.

Built from the routing tables the server itself dispatches with (``app.served_operations``),
never from a hand-written list, so it cannot drift: ``lambdalite coverage``, the console's
``GET /_lambdalite/api/coverage`` and the generated ``docs/coverage.md`` all read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore

from lambdalite.api.service_model import load_service

REGENERATE = "lambdalite coverage --format markdown > docs/coverage.md"


@dataclass(frozen=True, slots=True)
class ServiceCoverage:
    service: str
    protocol: str
    operations: tuple[tuple[str, bool], ...]  # every operation of the model, sorted

    @property
    def implemented(self) -> int:
        return sum(1 for _, done in self.operations if done)


def build(served: Mapping[str, Iterable[str]]) -> list[ServiceCoverage]:
    out = []
    for name in sorted(served):
        model = load_service(name)
        done = set(served[name])
        ops = tuple((op, op in done) for op in sorted(model.operation_names))
        out.append(ServiceCoverage(name, model.protocol, ops))
    return out


def to_json(services: list[ServiceCoverage]) -> dict[str, Any]:
    return {
        "botocore": botocore.__version__,
        "services": [
            {
                "service": s.service,
                "protocol": s.protocol,
                "implemented": s.implemented,
                "total": len(s.operations),
                "operations": [{"name": op, "implemented": done} for op, done in s.operations],
            }
            for s in services
        ],
    }


def to_text(services: list[ServiceCoverage]) -> str:
    lines = []
    for s in services:
        lines.append(f"{s.service} ({s.protocol}): {s.implemented} of {len(s.operations)}")
        lines.extend(f"  [{'x' if done else ' '}] {op}" for op, done in s.operations)
    return "\n".join(lines) + "\n"


def to_markdown(services: list[ServiceCoverage]) -> str:
    lines = [
        "# AWS API coverage",
        "",
        "Generated from the server's own routing tables against botocore "
        f"{botocore.__version__}'s service models; do not edit. Regenerate with "
        f"`{REGENERATE}`.",
        "",
        "| Service | Protocol | Implemented | Operations |",
        "| --- | --- | ---: | ---: |",
    ]
    lines.extend(
        f"| [{s.service}](#{s.service}) | {s.protocol} | {s.implemented} | {len(s.operations)} |"
        for s in services
    )
    for s in services:
        lines += ["", f"## {s.service}", "", "| Operation | Implemented |", "| --- | --- |"]
        lines.extend(f"| {op} | {'yes' if done else 'no'} |" for op, done in s.operations)
    return "\n".join(lines) + "\n"

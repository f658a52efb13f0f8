"""What the gateway serves: APIs with routes to functions (the seam between whoever
declares routes, such as `lambdalite up`, and the gateway that serves them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ApiKind(StrEnum):
    REST = "REST"  # API Gateway REST API (SAM `Api` events): payload format 1.0
    HTTP = "HTTP"  # API Gateway HTTP API (SAM `HttpApi` events): payload format 2.0 or 1.0
    ALB = "ALB"  # an Application Load Balancer target group (spec 6.3)


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # "GET", ..., or "ANY"
    path: str  # "/orders/{id}", "/{proxy+}", or "$default" (HTTP APIs)
    function_arn: str  # may be qualified (alias or version)
    payload_format: str = "1.0"  # "1.0" or "2.0"
    timeout_ms: int = 29_000  # the integration timeout; API Gateway's default is 29 s


@dataclass(frozen=True, slots=True)
class ApiDefinition:
    api_id: str  # 10 lowercase alphanumerics, as API Gateway's ids are
    kind: ApiKind
    name: str
    stage: str  # "Prod" for SAM's implicit REST API, "$default" for HTTP APIs
    routes: Sequence[Route]
    owner: str = ""  # who declared it (a stack name), so it can be removed with its owner
    # Additions (defaults keep the original constructor valid):
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    # REST APIs: request bodies of these content types reach the function base64-encoded
    # ("*/*" for every type); HTTP APIs and ALB decide by the content type themselves.
    binary_media_types: Sequence[str] = ()
    # ALB target groups: the multi-value headers attribute (spec 6.3).
    multi_value_headers: bool = False


class ApiRegistry(Protocol):
    """Declared APIs, durable across restarts; `put` replaces an API with the same id."""

    async def put(self, api: ApiDefinition) -> None: ...
    async def delete(self, api_id: str) -> None: ...
    async def get(self, api_id: str) -> ApiDefinition | None: ...
    async def list(self) -> list[ApiDefinition]: ...
    def url(self, api: ApiDefinition) -> str:
        """The local base URL the API is served at (stage included where it is part of it)."""
        ...

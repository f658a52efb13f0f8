"""What every provisioner is given and gives back.

Provisioners are synchronous and run on a worker thread: they call this server's own AWS
APIs with boto3, as CloudFormation calls the services, so validation and errors are AWS's.
What must happen on the event loop (the gateway registry) goes through `Env.on_loop`.
"""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambdalite.template.errors import TemplateError
from lambdalite.template.state import ResourceState

Warn = Callable[[str], None]
ImportCheck = Callable[[str], Coroutine[Any, Any, str | None]]  # function name -> why not


class ResponseWaiters(Protocol):
    """Custom resources' responses, PUT to the server's ResponseURL route."""

    def expect(self, token: str) -> Future[dict[str, Any]]: ...
    def forget(self, token: str) -> None: ...


@dataclass
class Env:
    endpoint: str
    region: str
    account_id: str
    stack_name: str
    warn: Warn
    loop: asyncio.AbstractEventLoop
    responses: ResponseWaiters
    gateway: Any = None  # gateway.model.ApiRegistry when the gateway is part of the platform
    custom_timeout_s: float = 3600.0  # CloudFormation waits an hour for a custom resource
    import_check: ImportCheck | None = None  # invoke/import_check.py, when the platform has one
    # Handler import checks under way: (logical id, handler, the check's answer).
    checks: list[tuple[str, str, Future[str | None]]] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}, read_timeout=900),
            )
        return self._clients[service]

    def on_loop(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def check_import(self, logical_id: str, handler: str, function_name: str) -> None:
        """Start checking that the function's handler imports; the deploy awaits every
        check before it commits, so they run alongside the rest of the provisioning."""
        if self.import_check is not None:
            future = asyncio.run_coroutine_threadsafe(self.import_check(function_name), self.loop)
            self.checks.append((logical_id, handler, future))

    def physical_name(self, logical_id: str, limit: int = 64, suffix: str = "") -> str:
        """CloudFormation's generated names: stack-LogicalId-RANDOM, within `limit`."""
        tail = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
        head = f"{self.stack_name}-{logical_id}"[: limit - len(tail) - len(suffix) - 1]
        return f"{head}-{tail}{suffix}"


@dataclass(frozen=True)
class Request:
    logical_id: str
    type: str
    properties: Mapping[str, Any]

    def fail(self, cause: str) -> TemplateError:
        return TemplateError(cause, self.logical_id)


@dataclass(frozen=True)
class Provisioned:
    physical_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)  # Ref answers physical_id


class Provisioner(Protocol):
    # Properties whose change makes a new resource (they name it), as CloudFormation does.
    replace_on: frozenset[str]

    def create(self, env: Env, request: Request) -> Provisioned: ...
    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned: ...
    def delete(self, env: Env, old: ResourceState) -> None: ...


def error_code(exc: Exception) -> str:
    """A botocore ClientError's code ('' for anything else)."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def check_properties(
    env: Env, request: Request, known: frozenset[str], ignored: frozenset[str] = frozenset()
) -> None:
    """One warning line per property lambdalite does not emulate (never silence)."""
    for name in sorted(set(request.properties) - known - ignored):
        env.warn(f"{request.type} {request.logical_id}: property {name} is not emulated (ignored)")


def api_members(env: Env, service: str, operation: str) -> frozenset[str]:
    """The input members of an AWS operation, from botocore's model."""
    model = env.client(service).meta.service_model.operation_model(operation)
    return frozenset(model.input_shape.members)

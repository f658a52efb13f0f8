"""The ``context`` object handed to Python handlers (spec 8.5)."""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, Optional


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, data: Optional[dict[str, Any]]) -> None:
        data = data or {}
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")

    def __repr__(self) -> str:
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = (
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )

    def __init__(self, data: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, data.get(name))

    def __repr__(self) -> str:
        fields = ",".join("%s=%s" % (n, getattr(self, n)) for n in self.__slots__)
        return "Client([%s])" % fields


class ClientContext:
    __slots__ = ("custom", "env", "client")

    def __init__(self, data: dict[str, Any]) -> None:
        self.custom = data.get("custom")
        self.env = data.get("env")
        client = data.get("client")
        self.client = Client(client) if isinstance(client, dict) else client

    def __repr__(self) -> str:
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


class EnvironmentFacts:
    """The context's per-environment values (function name, version, memory, log group and
    stream): read from the environment variables once, not on every invocation (five
    os.environ lookups were a fifth of the runtime's own work per no-op invoke)."""

    __slots__ = (
        "function_name",
        "function_version",
        "memory_limit_in_mb",
        "log_group_name",
        "log_stream_name",
    )

    def __init__(self) -> None:
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")


class LambdaContext:
    """Per-invocation values from the invoke frame plus per-environment ones (`facts`, read
    from the environment variables when not given)."""

    def __init__(
        self,
        request_id: str,
        invoked_function_arn: str,
        deadline_ms: int,
        client_context: Optional[dict[str, Any]] = None,
        cognito_identity: Optional[dict[str, Any]] = None,
        tenant_id: Optional[str] = None,
        facts: Optional[EnvironmentFacts] = None,
    ) -> None:
        if facts is None:
            facts = EnvironmentFacts()
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = facts.function_name
        self.function_version = facts.function_version
        self.memory_limit_in_mb = facts.memory_limit_in_mb
        self.log_group_name = facts.log_group_name
        self.log_stream_name = facts.log_stream_name
        self.identity = CognitoIdentity(cognito_identity)
        if isinstance(client_context, dict):
            client_context.pop("w3c", None)  # the real runtime strips it from client_context
            self.client_context: Optional[ClientContext] = ClientContext(client_context)
        else:
            self.client_context = None
        self.tenant_id = tenant_id
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg: object) -> None:
        # Like the real runtime: the Lambda log handler's sink if there is one, else stdout.
        for handler in logging.getLogger().handlers:
            sink = getattr(handler, "log_sink", None)
            if sink is not None:
                sink.write(str(msg))
                return
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        names = (
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "function_name",
            "memory_limit_in_mb",
            "function_version",
            "invoked_function_arn",
            "client_context",
            "identity",
            "tenant_id",
        )
        return "LambdaContext([%s])" % ",".join("%s=%s" % (n, getattr(self, n)) for n in names)

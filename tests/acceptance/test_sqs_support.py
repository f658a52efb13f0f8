"""Helpers shared by the SQS acceptance tests (no tests here): a virtual-clock server and
small wrappers around its clock route."""

from __future__ import annotations

import itertools
import os
from typing import Any

import httpx

from tests.acceptance.conftest import Server

_names = itertools.count()


def advance(server: Server, seconds: float) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/clock", json={"advance": seconds})
    assert response.status_code == 200, response.text


def new_queue(sqs: Any, attributes: dict[str, str] | None = None, *, fifo: bool = False) -> str:
    name = f"q-{os.getpid()}-{next(_names)}" + (".fifo" if fifo else "")
    attrs = {**(attributes or {}), **({"FifoQueue": "true"} if fifo else {})}
    return str(sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])


def receive(sqs: Any, url: str, n: int = 10, **extra: Any) -> list[dict[str, Any]]:
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, **extra)
    return list(response.get("Messages", []))


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def error_code(exc: Any) -> str:
    return str(exc.value.response["Error"]["Code"])

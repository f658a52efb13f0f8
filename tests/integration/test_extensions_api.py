"""The Extensions and Telemetry APIs on a real loopback listener, driven by httpx: every
bad call gets its status and error document, and the API keeps serving after it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from lambdalite.clock import VirtualClock
from lambdalite.sandbox.extensions.api import PREFIX as EXTENSION_PREFIX
from lambdalite.sandbox.extensions.api import ExtensionsApi, Phase
from lambdalite.sandbox.extensions.mux import MountedApis
from lambdalite.sandbox.extensions.telemetry import LOGS_PREFIX, Subscription, TelemetryApi
from lambdalite.sandbox.extensions.telemetry import PREFIX as TELEMETRY_PREFIX

IDENTITY = {"functionName": "f", "functionVersion": "$LATEST", "handler": "app.h", "accountId": "1"}
BASE = "/2020-01-01/extension"

Scenario = Callable[[httpx.AsyncClient, ExtensionsApi, list[Subscription]], Awaitable[None]]


def run(scenario: Scenario) -> None:
    async def main() -> None:
        apis = MountedApis()
        api = ExtensionsApi(IDENTITY, lambda: None)
        subscribed: list[Subscription] = []
        telemetry = TelemetryApi(api, VirtualClock(), subscribed.append)
        apis.mount(EXTENSION_PREFIX, api)
        apis.mount(TELEMETRY_PREFIX, telemetry)
        apis.mount(LOGS_PREFIX, telemetry)
        address = await apis.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://{address}", trust_env=False) as c:
                await scenario(c, api, subscribed)
        finally:
            await telemetry.close()
            apis.close()

    asyncio.run(main())


def error_type(response: httpx.Response) -> str:
    return str(response.json()["errorType"])


async def register(
    c: httpx.AsyncClient, name: str = "ext", events: Any = ("INVOKE", "SHUTDOWN"), **kw: Any
) -> httpx.Response:
    headers = {"Lambda-Extension-Name": name, **kw.pop("headers", {})}
    return await c.post(f"{BASE}/register", json={"events": list(events)}, headers=headers)


def test_register_answers_identity_and_identifier() -> None:
    async def scenario(c: httpx.AsyncClient, api: ExtensionsApi, _: Any) -> None:
        api.expect("ext")
        response = await register(c, headers={"Lambda-Extension-Accept-Feature": "accountId"})
        assert response.status_code == 200 and response.json() == IDENTITY
        assert api.by_identifier(response.headers["Lambda-Extension-Identifier"]) is not None
        again = await register(c)
        assert again.status_code == 403 and error_type(again) == "Extension.InvalidExtensionState"

    run(scenario)


def test_register_errors() -> None:
    async def scenario(c: httpx.AsyncClient, api: ExtensionsApi, _: Any) -> None:
        api.expect("ext")
        nameless = await c.post(f"{BASE}/register", json={"events": ["INVOKE"]})
        assert nameless.status_code == 403
        assert error_type(nameless) == "Extension.InvalidExtensionName"
        bad = await register(c, events=["INVOKE", "BOGUS"])
        assert bad.status_code == 403 and error_type(bad) == "Extension.InvalidEventType"
        garbled = await c.post(
            f"{BASE}/register", content=b"{", headers={"Lambda-Extension-Name": "ext"}
        )
        assert garbled.status_code == 403
        assert error_type(garbled) == "Extension.InvalidRequestFormat"
        internal = await register(c, name="in-runtime")  # not launched: an internal one
        assert internal.status_code == 403
        assert error_type(internal) == "Extension.ShutdownEventNotSupportedForInternalExtension"
        assert (await register(c, name="in-runtime", events=["INVOKE"])).status_code == 200
        assert (await c.get(f"{BASE}/register")).status_code == 405
        assert (await c.get(f"{BASE}/nope")).status_code == 404
        api.registration_open = False
        closed = await register(c)
        assert closed.status_code == 403 and error_type(closed) == "Extension.RegistrationClosed"

    run(scenario)


def test_next_hands_out_queued_events_and_checks_the_identifier() -> None:
    async def scenario(c: httpx.AsyncClient, api: ExtensionsApi, _: Any) -> None:
        ext = api.expect("ext")
        identifier = (await register(c)).headers["Lambda-Extension-Identifier"]
        missing = await c.get(f"{BASE}/event/next")
        assert missing.status_code == 403
        assert error_type(missing) == "Extension.MissingExtensionIdentifier"
        unknown = await c.get(f"{BASE}/event/next", headers={"Lambda-Extension-Identifier": "x"})
        assert unknown.status_code == 403
        assert error_type(unknown) == "Extension.UnknownExtensionIdentifier"
        api.send(ext, {"eventType": "INVOKE", "requestId": "r1"})
        got = await c.get(f"{BASE}/event/next", headers={"Lambda-Extension-Identifier": identifier})
        assert got.status_code == 200 and got.json()["requestId"] == "r1"
        assert got.headers["Lambda-Extension-Event-Identifier"]
        assert ext.phase is Phase.BUSY

    run(scenario)


def test_init_and_exit_errors() -> None:
    async def scenario(c: httpx.AsyncClient, api: ExtensionsApi, _: Any) -> None:
        ext = api.expect("ext")
        ident = {"Lambda-Extension-Identifier": (await register(c)).headers[
            "Lambda-Extension-Identifier"
        ]}  # fmt: skip
        no_type = await c.post(f"{BASE}/init/error", headers=ident)
        assert no_type.status_code == 400 and error_type(no_type) == "Extension.MissingHeader"
        typed = {**ident, "Lambda-Extension-Function-Error-Type": "Extension.Bad"}
        accepted = await c.post(f"{BASE}/init/error", headers=typed)
        assert accepted.status_code == 202 and accepted.json() == {"status": "OK"}
        assert ext.phase is Phase.FAILED and ext.error_type == "Extension.Bad"
        for path in ("init/error", "exit/error", "event/next"):  # nothing more after it
            late = await c.request(
                "GET" if path == "event/next" else "POST", f"{BASE}/{path}", headers=typed
            )
            assert late.status_code == 403
            assert error_type(late) == "Extension.InvalidExtensionState"

    run(scenario)


def test_telemetry_subscription_validation() -> None:
    async def scenario(c: httpx.AsyncClient, api: ExtensionsApi, subs: list[Subscription]) -> None:
        api.expect("ext")
        ident = {"Lambda-Extension-Identifier": (await register(c)).headers[
            "Lambda-Extension-Identifier"
        ]}  # fmt: skip
        good = {
            "schemaVersion": "2022-12-13",
            "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:4243/t"},
            "types": ["platform", "function"],
            "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 100},
        }
        bad_bodies: list[dict[str, Any]] = [
            {**good, "types": ["platform", "nope"]},
            {**good, "types": []},
            {**good, "destination": {"protocol": "TCP", "URI": "http://sandbox:1"}},
            {**good, "destination": {"protocol": "HTTP", "URI": "http://example.com:80/"}},
            {**good, "buffering": {"timeoutMs": 10}},
            {**good, "buffering": {"maxItems": 10**6}},
            {**good, "schemaVersion": "1999-01-01"},
        ]
        for body in bad_bodies:
            response = await c.put("/2022-07-01/telemetry", json=body, headers=ident)
            assert response.status_code == 400, body
            assert error_type(response) == "ValidationError"
        nobody = await c.put("/2022-07-01/telemetry", json=good)
        assert nobody.status_code == 403
        assert (await c.post("/2022-07-01/telemetry", json=good, headers=ident)).status_code == 405
        ok = await c.put("/2022-07-01/telemetry", json=good, headers=ident)
        assert ok.status_code == 200 and ok.text == "OK"
        (sub,) = subs
        assert sub.url == "http://127.0.0.1:4243/t" and sub.timeout_s == 0.1
        assert sub.types == {"platform", "function"}
        logs_api = {k: v for k, v in good.items() if k != "schemaVersion"}
        logs = await c.put("/2020-08-15/logs", content=json.dumps(logs_api), headers=ident)
        assert logs.status_code == 200  # the deprecated Logs API still answers

    run(scenario)

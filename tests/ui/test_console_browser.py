"""The console in a real browser: live rows, a journey growing with the virtual clock,
redrive from a DLQ, the log tail with its filter, escaping, and charts."""

from __future__ import annotations

import json
import os
from itertools import count
from typing import Any

import httpx
import pytest

from lambdalite.testing import ROLE, Server, advance, drain, zip_source

pytestmark = pytest.mark.browser

UI = "/_lambdalite/ui"
_names = count()

FAILS_UNLESS_FIXED = """
import os
def handler(event, context):
    print("ERROR handling", event.get("n"))
    if os.environ.get("FIXED") != "1":
        raise RuntimeError("boom")
    return {"ok": event.get("n")}
"""


def _create(server: Server, source: str, **config: Any) -> str:
    lam = server.client("lambda")
    name = f"ui-{os.getpid()}-{next(_names)}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_source(source)},
        **config,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


def _failing_with_dlq(server: Server) -> tuple[str, str]:
    sqs = server.client("sqs")
    queue = f"dlq-{os.getpid()}-{next(_names)}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = _create(server, FAILS_UNLESS_FIXED, DeadLetterConfig={"TargetArn": arn})
    server.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=2
    )
    return name, queue


def _exhaust(server: Server, name: str, payload: dict[str, Any]) -> str:
    lam = server.client("lambda")
    response = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload))
    drain(server.endpoint)
    return str(response["ResponseMetadata"]["RequestId"])


def test_the_functions_list_shows_a_new_function_without_a_reload(
    server: Server, page: Any
) -> None:
    page.goto(server.endpoint + UI + "/")
    page.wait_for_function("document.querySelector('#functions tbody') !== null")
    name = _create(server, "def handler(e, c):\n    return 1\n")
    page.locator(f"#functions tr[data-name='{name}']").wait_for()
    server.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    drain(server.endpoint)
    cell = f"tr[data-name='{name}'] [data-count=invocations]"
    page.wait_for_function(f"document.querySelector(\"{cell}\").textContent === '1'")


def test_a_journey_grows_as_the_virtual_clock_advances(server: Server, page: Any) -> None:
    name, queue = _failing_with_dlq(server)
    request_id = _exhaust(server, name, {"n": 1})
    page.goto(f"{server.endpoint}{UI}/events/{request_id}")
    page.wait_for_function("document.querySelector('.timeline').dataset.attempts === '1'")
    assert "next attempt at" in page.locator(".status").inner_text()
    advance(server.endpoint, 61)  # first retry after a minute
    drain(server.endpoint)
    page.wait_for_function("document.querySelector('.timeline').dataset.attempts === '2'")
    advance(server.endpoint, 121)  # the second after two more
    drain(server.endpoint)
    page.wait_for_function("document.querySelector('.timeline').dataset.attempts === '3'")
    page.locator("h3.delivery", has_text="DeadLetter").wait_for()
    assert page.locator(".timeline .gap").count() == 2
    record = page.locator("pre.record").first.inner_text()
    assert json.loads(record) == {"n": 1}  # the DLQ message is the event itself
    assert request_id in page.locator("pre.attributes").first.inner_text()


def test_redrive_from_the_dlq_screen_reinvokes_and_succeeds(server: Server, page: Any) -> None:
    name, queue = _failing_with_dlq(server)
    server.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0
    )
    _exhaust(server, name, {"n": 7})
    drain(server.endpoint)
    lam = server.client("lambda")
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"FIXED": "1"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    page.goto(f"{server.endpoint}{UI}/dlq/{queue}")
    assert page.locator("#messages tbody tr[data-message-id]").count() == 1
    page.get_by_role("button", name="Redrive all to their functions").click()
    page.locator("[data-redriven='1']").wait_for()
    drain(server.endpoint)
    doc = httpx.get(f"{server.endpoint}/_lambdalite/api/invocations?function={name}").json()
    latest = doc["invocations"][0]
    assert latest["trigger"] == "async" and latest["outcome"] == "Success"
    page.goto(f"{server.endpoint}{UI}/dlq/{queue}")
    assert page.locator("#messages tbody tr[data-message-id]").count() == 0


def test_the_log_tail_shows_lines_live_and_filters_them(server: Server, page: Any) -> None:
    name = _create(
        server,
        "def handler(e, c):\n    print('WARN careful', e['n'])\n    print('INFO fine', e['n'])\n",
    )
    page.goto(f"{server.endpoint}{UI}/functions/{name}")
    page.wait_for_function("document.querySelector('[data-logs]') !== null")
    server.client("lambda").invoke(FunctionName=name, Payload=b'{"n": 1}')
    page.locator("[data-logs] li", has_text="INFO fine 1").wait_for()
    page.locator("[data-log-filter]").fill("?ERROR ?WARN")
    page.wait_for_function(
        "(lines => lines.length > 0 && lines.every(li => !li.textContent.includes('INFO')))"
        "([...document.querySelectorAll('[data-logs] li')])"
    )
    server.client("lambda").invoke(FunctionName=name, Payload=b'{"n": 2}')
    page.locator("[data-logs] li", has_text="WARN careful 2").wait_for()
    texts = page.locator("[data-logs] li").all_inner_texts()
    assert not any("INFO" in t for t in texts)
    assert page.locator("[data-log-dropped]").inner_text() == "0"
    page.locator("[data-log-filter]").fill("{ $.level = ")  # CloudWatch refuses it
    error = page.locator("[data-log-filter-error] [data-error-code=InvalidParameterException]")
    error.wait_for()
    assert "Invalid" in error.inner_text()
    page.locator("[data-log-filter]").fill("WARN")
    error.wait_for(state="detached")


def test_user_content_renders_as_text(server: Server, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    script = "<script>alert('x')</script><img src=x onerror=alert('y')>"
    name = _create(server, f"def handler(e, c):\n    print({script!r})\n    return e\n")
    lam = server.client("lambda")
    request_id = lam.invoke(FunctionName=name, Payload=json.dumps({"p": script}))[
        "ResponseMetadata"
    ]["RequestId"]
    drain(server.endpoint)
    page.goto(f"{server.endpoint}{UI}/functions/{name}")
    page.locator(f"tr[data-request-id='{request_id}'] summary").click()
    page.locator(f"tr[data-request-id='{request_id}'] pre.payload").wait_for()
    detail = page.locator(f"tr[data-request-id='{request_id}'] .detail").inner_text()
    assert script in detail  # the log line and payload, as text
    page.locator("[data-logs] li", has_text="onerror").first.wait_for()
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0

    sqs = server.client("sqs")
    queue = f"esc-{os.getpid()}-{next(_names)}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=script)
    page.goto(f"{server.endpoint}{UI}/dlq/{queue}")
    assert script in page.locator("#messages summary.preview").inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    assert not dialogs


def test_charts_render_the_metrics_twin(server: Server, page: Any) -> None:
    name = _create(server, "def handler(e, c):\n    return 1\n")
    server.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    drain(server.endpoint)
    page.goto(f"{server.endpoint}{UI}/functions/{name}")
    chart = page.locator("[data-chart][data-metric=Invocations]")
    page.wait_for_function(
        "document.querySelector('[data-chart][data-metric=Invocations]').dataset.state === 'drawn'"
    )
    assert chart.locator("canvas").count() == 1
    assert chart.get_attribute("data-points") == "1"
    assert chart.get_attribute("data-last") == "1"

"""The resources screen and the coverage page in a real browser: a queue created with boto3
is listed, the Send form puts a message the peek shows as text, Purge asks with the count
first, and the coverage page shows the Lambda API's counts."""

from __future__ import annotations

import os
from itertools import count
from typing import Any

import httpx
import pytest

from lambdalite.testing import Server

pytestmark = pytest.mark.browser

UI = "/_lambdalite/ui"
_names = count()


def test_send_a_message_then_purge_it_with_the_count(server: Server, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    queue = f"res-{os.getpid()}-{next(_names)}"
    url = server.client("sqs").create_queue(QueueName=queue)["QueueUrl"]
    server.client("sqs").send_message(QueueUrl=url, MessageBody="first")

    page.goto(f"{server.endpoint}{UI}/resources")
    page.locator(f"#queues tr[data-name='{queue}'] a").click()
    page.wait_for_url(f"**/resources/queues/{queue}")

    script = "<script>alert('x')</script><img src=x onerror=alert('y')>"
    page.locator("#send-message textarea[name=body]").fill(script)
    page.locator("#send-message textarea[name=attributes]").fill("kind=test")
    page.locator("#send-message button[type=submit]").click()
    page.locator("#action-result [data-sent]").wait_for()
    page.reload()
    previews = page.locator("#messages summary.preview")
    assert previews.count() == 2
    assert script in previews.nth(1).inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0

    page.locator("form[action$='/actions/purge'] button").click()
    confirm = page.locator("#action-result form.confirm button")
    confirm.wait_for()
    assert "Confirm purge of 2" in confirm.inner_text()
    assert page.locator("[data-count=visible]").inner_text() == "2"  # nothing gone yet
    confirm.click()
    page.get_by_text("Purged 2 message(s).").wait_for()
    page.reload()
    assert page.locator("#messages tbody").inner_text().strip() == "Empty."
    assert not dialogs


def test_the_coverage_page_shows_lambdas_counts(server: Server, page: Any) -> None:
    doc = httpx.get(f"{server.endpoint}/_lambdalite/api/coverage").json()
    lam = next(s for s in doc["services"] if s["service"] == "lambda")
    page.goto(f"{server.endpoint}{UI}/")
    page.get_by_role("link", name="Coverage").click()
    row = page.locator("#coverage tr[data-service=lambda]")
    assert row.locator("[data-implemented]").inner_text() == str(lam["implemented"])
    assert row.locator("[data-total]").inner_text() == str(lam["total"])
    page.locator("details[data-service=lambda] summary").click()
    invoke = page.locator("details[data-service=lambda] li[data-operation=Invoke]")
    assert invoke.get_attribute("data-implemented") == "yes"
    assert invoke.is_visible()

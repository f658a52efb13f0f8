"""The mappings screen in a real browser: a Kinesis mapping whose function fails shows its
IteratorAge and the retrying batch, the batch view opens from it, Disable works, and user
content (a filter pattern) is text."""

from __future__ import annotations

import json
import os
from itertools import count
from typing import Any

from lambdalite.testing import Server, advance, drain
from tests.ui.test_console_browser import UI, _create

_names = count()
FAILS = "def handler(e, c):\n    raise ValueError('always')\n"


def test_a_failing_kinesis_mapping_shows_iterator_age_and_the_retrying_batch(
    server: Server, page: Any
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    kinesis = server.client("kinesis")
    stream = f"uis-{os.getpid()}-{next(_names)}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.05})
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    script = "<script>alert('x')</script><img src=x onerror=alert('y')>"
    kinesis.put_record(StreamARN=arn, Data=json.dumps({"v": 1}).encode(), PartitionKey="k")
    name = _create(server, FAILS)
    uuid = server.client("lambda").create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"v": [1, script]}})}]},
    )["UUID"]  # fmt: skip
    drain(server.endpoint)
    advance(server.endpoint, 20)
    drain(server.endpoint)

    page.goto(f"{server.endpoint}{UI}/mappings")
    row = page.locator(f"#mappings tr[data-uuid='{uuid}']")
    row.wait_for()
    age = int(row.locator("[data-iterator-age]").get_attribute("data-iterator-age"))
    assert age >= 20_000
    assert "PROBLEM: Function call failed" in row.locator(".result").inner_text()
    assert script in row.locator("code.filter").inner_text()  # as text
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    batch = row.locator("a[data-batch-state=Retrying]")
    batch.click()
    page.locator("table.batch[data-state=Retrying]").wait_for()
    assert int(page.locator("table.batch").get_attribute("data-invokes")) >= 2
    assert page.locator(".steps li[data-kind=retry]").count() >= 1
    # The page follows the clock: another retry shows without a reload.
    before = int(page.locator("table.batch").get_attribute("data-invokes"))
    advance(server.endpoint, 60)
    drain(server.endpoint)
    page.wait_for_function(
        f"Number(document.querySelector('table.batch').dataset.invokes) > {before}"
    )

    page.goto(f"{server.endpoint}{UI}/mappings")
    row.get_by_role("button", name="Disable").click()
    page.locator("[data-mapping-state=Disabling]").wait_for()
    assert not dialogs

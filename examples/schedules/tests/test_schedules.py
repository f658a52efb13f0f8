"""A schedule and a rule, run against lambdalite with the pytest harness
(`lambdalite_app` deploys ../template.yaml on a virtual clock): half an hour of schedule
passes in one `advance` call."""

import json
import uuid
from datetime import datetime

import pytest

pytestmark = pytest.mark.lambdalite(template="../template.yaml")


def outbox(app, kind):
    messages = [json.loads(m["Body"]) for m in app.receive("Outbox")]
    return [m for m in messages if m["kind"] == kind]


def test_the_report_runs_every_five_minutes(lambdalite_app):
    lambdalite_app.wait_idle()
    outbox(lambdalite_app, "report")  # runs that other tests' time already caused

    lambdalite_app.advance(30 * 60)

    runs = outbox(lambdalite_app, "report")
    assert len(runs) == 6
    times = sorted(_epoch(r["time"]) for r in runs)
    assert {later - earlier for earlier, later in zip(times, times[1:], strict=False)} == {300.0}
    assert {r["detailType"] for r in runs} == {"Scheduled Event"}


def test_no_report_before_its_time(lambdalite_app):
    lambdalite_app.advance(300)  # any five minutes hold one run
    [last] = outbox(lambdalite_app, "report")[-1:]
    next_run = _epoch(last["time"]) + 300  # an event's time is to the second

    lambdalite_app.advance(next_run - 1 - lambdalite_app.now())
    assert outbox(lambdalite_app, "report") == []
    lambdalite_app.advance(2)
    assert len(outbox(lambdalite_app, "report")) == 1


def _epoch(iso_time):
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp()


def test_the_rule_sends_large_orders_only(lambdalite_app):
    large, small = uuid.uuid4().hex, uuid.uuid4().hex
    lambdalite_app.put_event("shop.orders", "OrderPlaced", {"orderId": large, "total": 250})
    lambdalite_app.put_event("shop.orders", "OrderPlaced", {"orderId": small, "total": 20})
    lambdalite_app.put_event("shop.other", "OrderPlaced", {"orderId": small, "total": 500})

    lambdalite_app.wait_idle()  # the rule's target: an asynchronous invoke

    alerts = outbox(lambdalite_app, "alert")
    assert [(a["orderId"], a["total"]) for a in alerts] == [(large, 250)]

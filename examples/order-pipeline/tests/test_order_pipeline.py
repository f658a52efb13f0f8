"""The order pipeline's behaviour, run against lambdalite with the pytest harness: the
`lambdalite_app` fixture deploys ../template.yaml on a virtual clock, so waiting for a
visibility timeout or a retry two minutes away takes milliseconds."""

import json
import uuid

import pytest

pytestmark = pytest.mark.lambdalite(template="../template.yaml")


def order(**fields):
    return {"id": uuid.uuid4().hex, "item": "widget", "quantity": 1, **fields}


def bodies(app, queue, ids):
    """The JSON bodies in `queue` that concern the orders `ids` (tests share the app)."""
    found = [json.loads(m["Body"]) for m in app.receive(queue)]
    return [b for b in found if _order_id(b) in ids]


def _order_id(body):
    return body.get("id") or body.get("requestPayload", {}).get("id")


def test_valid_orders_reach_the_on_success_destination(lambdalite_app):
    orders = [order(quantity=n) for n in (1, 2, 3)]
    for o in orders:
        lambdalite_app.send("Orders", o)

    lambdalite_app.wait_idle()  # the mapping's batches, the async invokes, the destinations

    records = bodies(lambdalite_app, "Fulfilled", {o["id"] for o in orders})
    assert sorted(r["responsePayload"]["quantity"] for r in records) == [1, 2, 3]
    assert {r["requestContext"]["condition"] for r in records} == {"Success"}


def test_only_the_failed_messages_of_a_batch_go_back_and_then_to_the_dlq(lambdalite_app):
    good, bad = order(), order(quantity=0)
    lambdalite_app.send_batch("Orders", [good, bad])
    lambdalite_app.wait_idle()
    assert len(bodies(lambdalite_app, "Fulfilled", {good["id"]})) == 1
    assert bodies(lambdalite_app, "OrdersDLQ", {bad["id"]}) == []  # back in the queue

    # After the visibility timeout it is received again and fails again; at the next
    # receive it has been received maxReceiveCount (2) times and is moved to the DLQ.
    lambdalite_app.advance(300)

    assert bodies(lambdalite_app, "OrdersDLQ", {bad["id"]}) == [bad]
    assert bodies(lambdalite_app, "Fulfilled", {good["id"]}) == []  # processed exactly once
    rejected = [line for line in lambdalite_app.logs("ProcessOrders") if "rejected" in line]
    assert len(rejected) == 2


def test_a_failing_fulfilment_is_retried_twice_then_sent_to_on_failure(lambdalite_app):
    stuck = order(item="unobtainium")
    lambdalite_app.send("Orders", stuck)
    lambdalite_app.wait_idle()
    assert bodies(lambdalite_app, "FulfilmentFailed", {stuck["id"]}) == []  # retries pending

    lambdalite_app.advance(600)  # the retries, one and then two minutes apart

    [record] = bodies(lambdalite_app, "FulfilmentFailed", {stuck["id"]})
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorMessage"] == "unobtainium is out of stock"


def test_retry_times_follow_the_async_schedule(lambdalite_app):
    sent = lambdalite_app.invoke("Fulfil", order(item="unobtainium"), event=True)
    assert sent.status_code == 202
    lambdalite_app.wait_idle()
    attempts = lambdalite_app.journey(sent.request_id)["journal"]
    started = attempts[0]["at"]

    lambdalite_app.advance(59)
    assert _attempts(lambdalite_app, sent.request_id) == 1
    lambdalite_app.advance(1)
    assert _attempts(lambdalite_app, sent.request_id) == 2
    lambdalite_app.advance(120)
    assert _attempts(lambdalite_app, sent.request_id) == 3
    assert lambdalite_app.now() - started == pytest.approx(180, abs=1)


def _attempts(app, request_id):
    journal = app.journey(request_id)["journal"]
    return sum(1 for entry in journal if entry["kind"] == "attempt")


def test_a_synchronous_invoke_answers_the_handlers_result(lambdalite_app):
    o = order(quantity=5)
    result = lambdalite_app.invoke("Fulfil", o)
    assert result.ok
    assert result.payload == {"orderId": o["id"], "status": "fulfilled", "quantity": 5}

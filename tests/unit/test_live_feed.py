"""The live feed's bounds (observe/feed.py) and the log tail's filter (console/logfilter.py)."""

from __future__ import annotations

import asyncio

import pytest

from lambdalite.console.journey_view import timeline
from lambdalite.console.logfilter import compile_filter, stream_filter
from lambdalite.logs.errors import InvalidParameterException
from lambdalite.observe.feed import LiveFeed


def test_a_slow_subscriber_keeps_the_newest_events_and_counts_the_rest() -> None:
    async def scenario() -> None:
        feed = LiveFeed(capacity=3)
        sub = feed.subscribe(["fn:a"])
        other = feed.subscribe(["fn:b"])
        for n in range(1000):
            feed.publish("fn:a", {"n": n})
        feed.publish("nobody", {"n": -1})  # unwatched: nothing kept anywhere
        await asyncio.wait_for(sub.wait(), 1)
        assert [data["n"] for _, _, data in sub.take()] == [997, 998, 999]
        assert sub.dropped == 997 and other.take() == [] and other.dropped == 0
        assert feed.watched("fn:a") and not feed.watched("nobody")
        sub.close()
        other.close()
        assert not feed.watched("fn:a") and feed.subscribers == 0

    asyncio.run(scenario())


def test_the_log_filter_takes_terms_alternatives_and_exclusions() -> None:
    lines = ["ERROR a", "WARN b", "INFO c", "ERROR debug d"]
    assert [x for x in lines if compile_filter("?ERROR ?WARN")(x)] == lines[:2] + lines[3:]
    assert [x for x in lines if compile_filter("ERROR -debug")(x)] == ["ERROR a"]
    assert [x for x in lines if compile_filter("")(x)] == lines
    assert [x for x in lines if compile_filter('"INFO c"')(x)] == ["INFO c"]
    json_lines = ['{"level": "ERROR", "n": 3}', '{"level": "INFO", "n": 4}', "ERROR plain"]
    keep = compile_filter('{ $.level = "ERROR" && $.n > 2 }')
    assert [x for x in json_lines if keep(x)] == json_lines[:1]
    assert [x for x in lines if stream_filter('"unbalanced')(x)] == []


def test_a_pattern_cloudwatch_refuses_gets_its_error() -> None:
    for bad in ('"unbalanced', "{ $.level = }", "[a, b"):
        with pytest.raises(InvalidParameterException) as caught:
            compile_filter(bad)
        assert caught.value.wire_code == "InvalidParameterException"
        assert caught.value.status_code == 400


def test_the_timeline_scales_attempts_and_shows_the_pending_retry() -> None:
    doc = {
        "acceptedAt": 100.0,
        "state": "queued",
        "dueAt": 220.0,
        "journal": [{"at": 101.0, "kind": "attempt", "outcome": "Error", "detail": ""}],
    }
    attempts = [
        {"startedAt": 100.0, "endedAt": 101.0, "outcome": "Error"},
        {"startedAt": 161.0, "endedAt": 162.0, "outcome": "Error"},
    ]
    t = timeline(doc, attempts, now=170.0)
    assert [b["left"] for b in t["bars"]] == [0.0, 50.833]
    assert t["gaps"][0]["seconds"] == 60.0
    assert t["nextAttempt"] == {"at": 220.0, "inSeconds": 50.0, "left": 100.0}


def test_a_burst_reaches_the_stream_coalesced_and_bounded() -> None:
    import json
    import time
    from types import SimpleNamespace

    from lambdalite.console import live

    async def flush() -> None:
        pass

    async def scenario() -> None:
        feed = LiveFeed(capacity=100)
        platform = SimpleNamespace(feed=feed, journal=SimpleNamespace(flush=flush))
        stream = live.messages(platform, ["fn:a"])  # type: ignore[arg-type]
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)  # subscribed
        for n in range(5000):  # a burst far beyond what a page shows
            feed.publish("fn:a", {"n": n})
        doc = json.loads((await first).decode().split("data: ", 1)[1])
        assert len(doc["events"]) == 100 and doc["dropped"] == 4900
        assert doc["events"][-1]["data"] == {"n": 4999}
        sent = time.monotonic()
        feed.publish("fn:a", {"n": 5000})
        await anext(stream)
        assert time.monotonic() - sent >= live.COALESCE_S * 0.9  # at most 4 messages/s
        await stream.aclose()
        assert feed.subscribers == 0

    asyncio.run(scenario())

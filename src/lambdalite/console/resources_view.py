"""Queues, streams, topics and buses (S6): the list of every one with its state, and the
page of one, dispatched by kind. Each kind's page is its own module."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.console import bus_view, queue_view, stream_view, topic_view
from lambdalite.console.views import clock_view
from lambdalite.errors import ResourceNotFoundException
from lambdalite.platform import Platform

KINDS = ("queues", "streams", "topics", "buses")


async def resources_list(p: Platform) -> dict[str, Any]:
    queues = [await queue_view.queue_row(p, p.sqs.queue(n)) for n in p.sqs.names()]
    streams = [stream_view.stream_row(s) for s in await p.kinesis.streams()]
    topics = []
    for arn in await topic_view.all_topics(p):
        attrs = await p.sns.topic_attributes(arn)
        topics.append(
            {
                "name": arn.rsplit(":", 1)[-1],
                "arn": arn,
                "fifo": attrs.get("FifoTopic") == "true",
                "subscriptionsConfirmed": int(attrs.get("SubscriptionsConfirmed", "0")),
                "subscriptionsPending": int(attrs.get("SubscriptionsPending", "0")),
            }
        )
    buses = [await bus_view.bus_row(p, b) for b in await bus_view.all_buses(p)]
    return {
        "queues": queues,
        "streams": streams,
        "topics": topics,
        "buses": buses,
        "clock": clock_view(p),
    }


async def resource(p: Platform, kind: str, name: str) -> dict[str, Any]:
    if kind == "queues":
        doc = await queue_view.queue_detail(p, name)
    elif kind == "streams":
        doc = await stream_view.stream_detail(p, name)
    elif kind == "topics":
        doc = await topic_view.topic_detail(p, name)
    elif kind == "buses":
        doc = await bus_view.bus_detail(p, name)
    else:
        raise ResourceNotFoundException(
            f"The console shows {', '.join(KINDS)}; not {json.dumps(kind)}"
        )
    return {"kind": kind, **doc, "clock": clock_view(p)}

"""One SNS topic on the resources screen (S6): its attributes and its subscriptions with
protocol, endpoint, confirmation, filter policy and redrive policy."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.console.links import resource_path
from lambdalite.platform import Platform
from lambdalite.services.sns.model import Subscription

_HIDDEN = {"Policy", "EffectiveDeliveryPolicy"}  # long boilerplate; the twin keeps them


async def all_topics(p: Platform) -> list[str]:
    arns: list[str] = []
    token: str | None = None
    while True:
        page, token = await p.sns.list_topics(token)
        arns += page
        if token is None:
            return arns


def _policy(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _subscription(sub: Subscription) -> dict[str, Any]:
    attrs = sub.visible_attributes
    return {
        "arn": sub.arn,
        "protocol": sub.protocol,
        "endpoint": sub.endpoint,
        "endpointLink": resource_path(sub.endpoint),
        "pending": sub.pending,
        "rawMessageDelivery": sub.raw,
        "filterPolicy": _policy(attrs.get("FilterPolicy")),
        "filterPolicyScope": attrs.get("FilterPolicyScope")
        or ("MessageAttributes" if attrs.get("FilterPolicy") else None),
        "redrivePolicy": _policy(attrs.get("RedrivePolicy")),
        "deadLetterLink": resource_path(sub.dead_letter_arn),
    }


async def topic_detail(p: Platform, name: str) -> dict[str, Any]:
    arn = p.sns.topic_arn(name)
    attributes = await p.sns.topic_attributes(arn)  # NotFound when there is none
    subscriptions: list[Subscription] = []
    token: str | None = None
    while True:
        page, token = await p.sns.list_subscriptions(arn, token)
        subscriptions += page
        if token is None:
            break
    return {
        "name": name,
        "arn": arn,
        "fifo": attributes.get("FifoTopic") == "true",
        "attributes": attributes,
        "shownAttributes": {k: v for k, v in sorted(attributes.items()) if k not in _HIDDEN},
        "subscriptions": [_subscription(s) for s in subscriptions],
    }

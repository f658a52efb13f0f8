"""What sends a function events besides its event source mappings: SNS subscriptions with
the `lambda` protocol and EventBridge rules with the function as a target, for the
function page's diagram (each links to its topic's or bus's page)."""

from __future__ import annotations

from typing import Any

from lambdalite.console.bus_view import all_buses, all_rules
from lambdalite.console.topic_view import all_topics
from lambdalite.platform import Platform


def _names_function(arn: str, function_arn: str) -> bool:
    """`arn` is the function's, unqualified or with any qualifier."""
    return arn == function_arn or arn.startswith(function_arn + ":")


async def service_triggers(p: Platform, function_arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for topic in await all_topics(p):
        token: str | None = None
        while True:
            subs, token = await p.sns.list_subscriptions(topic, token)
            found += [
                {
                    "source": topic,
                    "kind": "sns",
                    "state": "pending confirmation" if s.pending else "subscribed",
                }
                for s in subs
                if s.protocol == "lambda" and _names_function(s.endpoint, function_arn)
            ]
            if token is None:
                break
    for bus in await all_buses(p):
        for rule in await all_rules(p, bus.name):
            targets = await p.events.targets(rule.name, rule.bus)
            if any(_names_function(str(t.get("Arn", "")), function_arn) for t in targets):
                source = p.events.rule_arn(rule)
                found.append({"source": source, "kind": "events", "state": rule.state})
    return found

"""Where an ARN of a queue, stream, topic, bus or function is shown in the console: its resources
page, so that the function page's diagram and the resource pages link to each other."""

from __future__ import annotations

from urllib.parse import quote

UI = "/_lambdalite/ui"
RESOURCES = f"{UI}/resources"
# ARN service -> the resources page kind; the name is the ARN's last part.
_KINDS = {"sqs": "queues", "kinesis": "streams", "sns": "topics", "events": "buses"}


def resource_path(arn: str | None) -> str | None:
    """The console page of the resource (or function) `arn` names, else None."""
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    name = parts[5]
    if parts[2] == "lambda" and name.startswith("function:"):
        return f"{UI}/functions/{quote(name.split(':')[1], safe='')}"
    if parts[2] not in _KINDS:
        return None
    if parts[2] == "kinesis":
        name = name.removeprefix("stream/").split("/")[0]
    elif parts[2] == "events":  # a bus, or a rule (shown on its bus's page)
        kind, _, rest = name.partition("/")
        if kind == "event-bus":
            name = rest
        elif kind == "rule":
            name = rest.split("/")[0] if "/" in rest else "default"
        else:
            return None
    return f"{RESOURCES}/{_KINDS[parts[2]]}/{quote(name, safe='')}"

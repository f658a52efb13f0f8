"""Function identifiers (name, partial ARN, full ARN, each with an optional qualifier)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FUNCTION_ID = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):"
    r"(?P<account>\d{12}):function:"
    r"|(?:(?P<pregion>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?P<paccount>\d{12}):)?(?:function:)?)"
    r"(?P<name>[a-zA-Z0-9\-_\.]+)(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?$"
)


@dataclass(frozen=True, slots=True)  # shared: invoke/resolve.py keeps the parsed ones
class FunctionId:
    name: str
    qualifier: str | None
    region: str | None
    account_id: str | None


def parse_function_id(raw: str) -> FunctionId | None:
    """Split a FunctionName path member into its parts; None if it matches no form."""
    m = _FUNCTION_ID.match(raw)
    if m is None:
        return None
    return FunctionId(
        name=m["name"],
        qualifier=m["qualifier"],
        region=m["region"] or m["pregion"],
        account_id=m["account"] or m["paccount"],
    )


def function_arn(region: str, account_id: str, name: str, qualifier: str | None = None) -> str:
    base = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base

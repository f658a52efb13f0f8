"""Route matching as API Gateway does it: the most specific path wins (a literal segment
before a `{param}` before a greedy `{proxy+}`), then a named method before `ANY`; an HTTP
API's `$default` route catches what nothing else did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from lambdalite.gateway.model import Route

_LITERAL, _PARAM, _GREEDY = 2, 1, 0


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Compiled:
    route: Route
    segments: tuple[tuple[int, str], ...]  # (kind, literal text or parameter name)


def _compile(route: Route) -> _Compiled:
    segments: list[tuple[int, str]] = []
    for part in route.path.strip("/").split("/") if route.path != "/" else ():
        if part.startswith("{") and part.endswith("+}"):
            segments.append((_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append((_PARAM, part[1:-1]))
        else:
            segments.append((_LITERAL, part))
    return _Compiled(route, tuple(segments))


class RouteTable:
    """One API's routes, compiled once per definition."""

    __slots__ = ("_routes", "_default")

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = [_compile(r) for r in routes if r.path != "$default"]
        self._default = [r for r in routes if r.path == "$default"]

    def match(self, method: str, path: str) -> Match | None:
        """The route for `method` on `path` (the request path without any stage), or None."""
        parts = path.strip("/").split("/") if path.strip("/") else []
        best: tuple[tuple[int, ...], int] | None = None
        found: Match | None = None
        for compiled in self._routes:
            route = compiled.route
            if route.method != method and route.method != "ANY":
                continue
            params = _bind(compiled.segments, parts)
            if params is None:
                continue
            rank = (tuple(kind for kind, _ in compiled.segments), route.method != "ANY")
            if best is None or rank > best:
                best, found = rank, Match(route, params)
        if found is not None:
            return found
        for route in self._default:
            if route.method in (method, "ANY"):
                return Match(route, {})
        return None

    def has_path(self, path: str) -> bool:
        """Whether any route's path matches, whatever its method."""
        parts = path.strip("/").split("/") if path.strip("/") else []
        return any(_bind(c.segments, parts) is not None for c in self._routes)


def _bind(segments: tuple[tuple[int, str], ...], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, (kind, text) in enumerate(segments):
        if kind == _GREEDY:
            rest = parts[index:]
            if not rest:
                return None  # a greedy segment takes at least one segment
            params[text] = unquote("/".join(rest))
            return params
        if index >= len(parts):
            return None
        if kind == _LITERAL:
            if parts[index] != text:
                return None
        else:
            if not parts[index]:
                return None
            params[text] = unquote(parts[index])
    return params if len(parts) == len(segments) else None

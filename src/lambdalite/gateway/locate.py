"""Where a request to the gateway port goes. Three ways to address an API or URL:

- by Host, as on AWS: `{api-id}.execute-api.localhost` (REST APIs and named HTTP API
  stages take the stage as the first path segment), `{url-id}.lambda-url.{region}.localhost`
  and `{api-id}.elb.localhost` for ALB targets;
- by path, whatever the Host (what `url()` hands out, since `*.localhost` does not resolve
  everywhere): `/restapis/{api-id}/{stage}/_user_request_/...` and `/lambda-url/{url-id}/...`;
- at the root, when exactly one API is declared (what `sam local start-api` users expect).
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdalite.gateway.model import ApiDefinition, ApiKind
from lambdalite.gateway.registry import GatewayRegistry
from lambdalite.gateway.routes import RouteTable
from lambdalite.gateway.urls import FunctionUrls, UrlConfig


@dataclass(frozen=True, slots=True)
class ApiTarget:
    api: ApiDefinition
    table: RouteTable
    raw_path: str  # without host, prefix or stage
    stage_matched: bool = True  # False: the path named another stage (nothing matches)


@dataclass(frozen=True, slots=True)
class UrlTarget:
    config: UrlConfig
    raw_path: str


Target = ApiTarget | UrlTarget | None


def _stage_split(api: ApiDefinition, table: RouteTable, raw_path: str) -> ApiTarget:
    """Host form: the stage is the path's first segment, except an HTTP API's $default."""
    if api.kind is ApiKind.HTTP and api.stage == "$default":
        return ApiTarget(api, table, raw_path)
    _, _, rest = raw_path.partition("/")
    stage, slash, tail = rest.partition("/")
    if stage != api.stage:
        return ApiTarget(api, table, raw_path, stage_matched=False)
    return ApiTarget(api, table, slash + tail or "/")


def locate(host: str, raw_path: str, apis: GatewayRegistry, urls: FunctionUrls) -> Target:
    name = host.rsplit(":", 1)[0].lower() if host else ""
    label, _, domain = name.partition(".")
    if domain.startswith("execute-api.") or domain.startswith("elb."):
        found = apis.lookup(label)
        return None if found is None else _stage_split(*found, raw_path)
    if domain.startswith("lambda-url."):
        config = urls.by_id(label)
        return None if config is None else UrlTarget(config, raw_path)
    if raw_path.startswith("/restapis/"):
        parts = raw_path.split("/", 5)  # "", restapis, id, stage, _user_request_, rest
        if len(parts) >= 5 and parts[4] == "_user_request_":
            found = apis.lookup(parts[2])
            if found is None:
                return None
            api, table = found
            rest = "/" + parts[5] if len(parts) == 6 else "/"
            return ApiTarget(api, table, rest, stage_matched=parts[3] == api.stage)
    if raw_path.startswith("/lambda-url/"):
        url_id, slash, rest = raw_path[len("/lambda-url/") :].partition("/")
        config = urls.by_id(url_id)
        return None if config is None else UrlTarget(config, slash + rest or "/")
    only = apis.only()
    return None if only is None else ApiTarget(only[0], only[1], raw_path)

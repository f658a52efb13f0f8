"""Who may use the console: requests addressed to a loopback name when the server listens
on loopback (a DNS-rebinding page cannot reach it), and, for every state-changing action,
a POST carrying the per-process CSRF token from a page of the same origin."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Forbidden(Exception):
    """The request may not do this (403)."""


class Guard:
    def __init__(self, server_host: str) -> None:
        self.token = secrets.token_urlsafe(32)
        self._loopback_only = server_host in LOOPBACK_NAMES

    def check_host(self, headers: dict[str, str]) -> None:
        if not self._loopback_only:
            return
        host = urlsplit(f"http://{headers.get('host', '')}").hostname or ""
        if host not in LOOPBACK_NAMES and f"[{host}]" not in LOOPBACK_NAMES:
            raise Forbidden("The console answers only requests addressed to a loopback host.")

    def check_post(self, headers: dict[str, str], form: dict[str, list[str]]) -> None:
        origin = f"http://{headers.get('host', '')}"
        sent_origin = headers.get("origin")
        if sent_origin is not None:
            if sent_origin != origin:
                raise Forbidden("Cross-origin request refused.")
        elif not headers.get("referer", "").startswith(origin + "/"):
            raise Forbidden("Request without an Origin or a same-origin Referer refused.")
        token = headers.get("x-csrf-token") or (form.get("csrf") or [""])[0]
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            raise Forbidden("Missing or wrong CSRF token.")


def parse_form(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)

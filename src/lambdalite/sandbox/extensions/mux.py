"""A loopback listener that serves only mounted APIs: the Extensions and Telemetry APIs of an
environment whose runtime talks pipes (the Python runtimes), so that its extensions find them
at AWS_LAMBDA_RUNTIME_API as on AWS. Started only for functions that have extensions."""

from __future__ import annotations

from lambdalite.sandbox.runtime_api.http import Listener, Reply, Request, Routes


class MountedApis:
    def __init__(self) -> None:
        self._mounts: list[tuple[bytes, Routes]] = []
        self._listener = Listener(self)
        self.address: str | None = None

    def mount(self, prefix: bytes, routes: Routes) -> None:
        self._mounts.append((prefix, routes))

    async def start(self, host: str = "127.0.0.1") -> str:
        if self.address is None:
            self.address = f"{host}:{await self._listener.start(host)}"
        return self.address

    def close(self) -> None:
        self._listener.close()

    def _routes(self, path: bytes) -> Routes | None:
        return next((r for prefix, r in self._mounts if path.startswith(prefix)), None)

    def body_limit(self, request: Request) -> int:
        routes = self._routes(request.path)
        return 0 if routes is None else routes.body_limit(request)

    def handle(self, request: Request, reply: Reply) -> None:
        routes = self._routes(request.path)
        if routes is None:
            reply.send(404, b"404 page not found\n", content_type=b"text/plain; charset=utf-8")
        else:
            routes.handle(request, reply)

    def disconnected(self, reply: Reply) -> None:
        for _, routes in self._mounts:
            routes.disconnected(reply)

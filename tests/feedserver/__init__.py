"""A local HTTP server for feed tests: 127.0.0.1 (or another loopback address) on a random port, routes
set per test, requests counted."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FeedServer:
    """Use as `async with FeedServer() as server:`; then `server.route(path, handler)` and `server.url(path)`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.hits: Counter[str] = Counter()  # requests seen per path
        self.headers: list[CIMultiDictProxy[str]] = []  # request headers, in arrival order
        self.closing = asyncio.Event()  # set on shutdown, so handlers that stall can stop waiting
        self._routes: dict[str, Handler] = {}
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        self._server = TestServer(app, host=host)

    def route(self, path: str, handler: Handler) -> None:
        self._routes[path] = handler

    def url(self, path: str) -> str:
        return str(self._server.make_url(path))

    async def __aenter__(self) -> FeedServer:
        await self._server.start_server(shutdown_timeout=1)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.closing.set()
        await self._server.close()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.headers.append(request.headers)
        handler = self._routes.get(request.path)
        if handler is None:
            raise web.HTTPNotFound()
        return await handler(request)


def reply(body: bytes = b"", *, status: int = 200, headers: Mapping[str, str] | None = None) -> Handler:
    """A handler that always answers the same."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, status=status, headers=headers)

    return handler


def replies(*handlers: Handler) -> Handler:
    """A handler that answers with each of `handlers` in turn, the last one for good."""
    queue = list(handlers)

    async def handler(request: web.Request) -> web.StreamResponse:
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return await current(request)

    return handler


def dripping(server: FeedServer, every: float = 0.1) -> Handler:
    """A handler that starts a 200 answer and then sends one byte every `every` seconds, without end."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})  # chunked: no length
        await response.prepare(request)
        while not server.closing.is_set():
            await response.write(b" ")
            await asyncio.sleep(every)
        return response

    return handler

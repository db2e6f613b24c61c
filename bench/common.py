"""What benchmarks share: the machine a report ran on, and a local server in a child process."""

from __future__ import annotations

import asyncio
import os
import platform
import sqlite3
from multiprocessing.connection import Connection

from aiohttp import web


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def serve_forever(app: web.Application, port_out: Connection) -> None:
    """Serve `app` on a free port of 127.0.0.1, send the port to the parent, run until terminated."""

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_out.send(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())

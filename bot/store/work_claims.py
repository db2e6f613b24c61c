"""Work that bot processes sharing one PostgreSQL database claim, so that one of them does it: a
story's summary in a language, its headline, a sentence's translation, a channel's digest; and
their turns at a host, so its politeness limits hold for all of them together.

A claim is a session-level advisory lock held on one connection the process keeps for its claims.
It lasts until the process lets go, or until that connection ends: PostgreSQL frees the claims of a
process killed mid-task as soon as its connection closes, and the others take the work over. On
SQLite (one process) every claim is granted, so the work is done as it always was.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from enum import IntEnum
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a process waiting for work another process has claimed looks again (seconds).
LOOK_AGAIN = 1.0
# How often a request waiting for its turn at a host looks again (seconds).
HOST_LOOK_AGAIN = 0.2

_TRY = text("SELECT pg_try_advisory_lock(:work, :name)")
_LET_GO = text("SELECT pg_advisory_unlock(:work, :name)")


class Work(IntEnum):
    """Kinds of claimed work: the first key of their advisory locks (the two-key form, apart from
    bot.store.db.Turn's one-key locks)."""

    SUMMARY = 0x62726a01
    HEADLINE = 0x62726a02
    TRANSLATION = 0x62726a03
    DIGEST = 0x62726a04
    HOST_SLOT = 0x62726a05  # one of a host's requests in flight
    HOST_START = 0x62726a06  # a request's start at a host, held for the host's delay


def _name_key(name: str) -> int:
    """The lock's second key: a signed 32-bit hash of the work's name. Two names that share one
    only take turns."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


class WorkClaims:
    def __init__(self, engine: AsyncEngine | None) -> None:
        self._engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self._connection: AsyncConnection | None = None
        self._talking = asyncio.Lock()  # one statement at a time on the connection
        self._held: set[tuple[Work, int]] = set()
        self._later: set[asyncio.Task[None]] = set()  # start turns given back after a host's delay

    @property
    def shared(self) -> bool:
        """Whether other processes may share the work (a PostgreSQL store)."""
        return self._engine is not None

    @asynccontextmanager
    async def claim(self, work: Work, name: str) -> AsyncIterator[bool]:
        """Inside the block, whether this process holds the claim on `name` (False: another process,
        or another task of this one, holds it). A claim won is given back when the block ends."""
        key = (work, _name_key(name))
        mine = await self._take(key)
        try:
            yield mine
        finally:
            if mine:
                await self._give_back(key)

    async def once(
        self, work: Work, name: str, stored: Callable[[], Awaitable[T | None]], make: Callable[[], Awaitable[T]], *,
        wait: bool = True, slot: Callable[[], AbstractAsyncContextManager[object]] = nullcontext,
    ) -> T | None:
        """What `stored()` finds; else what `make()` returns, made by this process once it holds the
        claim on `name` (and `slot()`, entered before claiming); while another process holds it, what
        that one stores, looked for every LOOK_AGAIN seconds. Without `wait`, None instead of waiting."""
        found = await stored()
        while found is None:
            async with slot(), self.claim(work, name) as mine:
                if mine:
                    found = await stored()  # by the process that held the claim until now
                    return found if found is not None else await make()
            if not wait:
                return None
            await asyncio.sleep(LOOK_AGAIN)
            found = await stored()
        return found

    @asynccontextmanager
    async def host_turn(self, host: str, slots: int, delay: float) -> AsyncIterator[None]:
        """A request to `host` by any of the processes: at most `slots` in flight together, their
        starts at least `delay` seconds apart. Immediate when no other process shares the work."""
        if not self.shared:
            yield
            return
        slot = await self._first_free(Work.HOST_SLOT, [f"{host}#{n}" for n in range(slots)])
        try:
            if delay:
                start = await self._first_free(Work.HOST_START, [host])
                self._later.add(task := asyncio.create_task(self._give_back_after(start, delay)))
                task.add_done_callback(self._later.discard)
            yield
        finally:
            await self._give_back(slot)

    async def _first_free(self, work: Work, names: list[str]) -> tuple[Work, int]:
        """The first of the claims on `names` this process wins, once one is free."""
        while True:
            for name in names:
                key = (work, _name_key(name))
                if await self._take(key):
                    return key
            await asyncio.sleep(HOST_LOOK_AGAIN)

    async def _give_back_after(self, key: tuple[Work, int], delay: float) -> None:
        await asyncio.sleep(delay)
        await self._give_back(key)

    async def close(self) -> None:
        """Give back every claim (the connection ends)."""
        for task in self._later:
            task.cancel()
        async with self._talking:
            await self._drop()

    async def _take(self, key: tuple[Work, int]) -> bool:
        async with self._talking:
            if key in self._held:
                return False
            if self._engine is not None:
                try:
                    if self._connection is None:
                        connection = await self._engine.connect()
                        # No transaction left open for as long as the claims are held.
                        self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    won = await self._connection.scalar(_TRY, {"work": int(key[0]), "name": key[1]})
                except SQLAlchemyError:
                    await self._drop()  # its claims ended with it
                    raise
                if not won:
                    return False
            self._held.add(key)
            return True

    async def _give_back(self, key: tuple[Work, int]) -> None:
        async with self._talking:
            if key not in self._held:  # lost with its connection
                return
            self._held.discard(key)
            if self._connection is not None:
                try:
                    await self._connection.scalar(_LET_GO, {"work": int(key[0]), "name": key[1]})
                except SQLAlchemyError as exc:
                    log.warning("claims connection lost (%s): its claims are free for the other processes",
                                exc.__class__.__name__)
                    await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._held.clear()
        if connection is not None:
            # Closed, not handed back to the pool: its locks would go on with it.
            await connection.invalidate()
            await connection.close()

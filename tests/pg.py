"""PostgreSQL for tests: a new, empty database per test on the local server, dropped afterwards.

Tests that use the `postgres_url` fixture are skipped, with the reason, when no server answers.
BRIEFBOT_TEST_POSTGRES_URL points them at another server; it must allow CREATE DATABASE.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("BRIEFBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
CONNECT_TIMEOUT = 3.0  # seconds; a missing server should cost a skip, not a wait


class NoServer(Exception):
    """No PostgreSQL server answers at the URL."""


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A SQLAlchemy URL of a database created for this test alone."""
    try:
        async with throwaway_database(SERVER_URL) as url:
            yield url
    except NoServer as exc:
        pytest.skip(str(exc))


@asynccontextmanager
async def throwaway_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server at `server_url`, dropped on leaving; raises NoServer."""
    server = make_url(server_url)
    where = f"{server.host}:{server.port or 5432}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise NoServer(f"no PostgreSQL server usable at {where}: {type(exc).__name__}: {exc}") from None
    # A whole database rather than a schema: the store takes nothing but a URL.
    name = f"briefbot_test_{secrets.token_hex(6)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE ends connections a failed test left open.
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

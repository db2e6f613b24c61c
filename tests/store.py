"""A scratch store for tests (register with ``pytest_plugins``): `store_url`, a SQLite database in
the test's folder, or a PostgreSQL one too for tests marked EVERY_STORE; `sessions` on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.db import open_store

# A test marked so runs once on SQLite and once on PostgreSQL (tests/pg.py).
EVERY_STORE = pytest.mark.parametrize(
    "store_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres_url")


# On the module's event loop, where tests that share a parse pool across a module run: a module
# using it runs its tests, and any async fixture that writes through it, on that loop too
# (`pytestmark = pytest.mark.asyncio(loop_scope="module")`, `@pytest_asyncio.fixture(loop_scope="module")`).
@pytest_asyncio.fixture(loop_scope="module")
async def sessions(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine, made = await open_store(store_url)
    yield made
    await engine.dispose()

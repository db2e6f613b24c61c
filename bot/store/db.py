"""The database engine: SQLite (file, WAL) by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.store.models import Base


class StoreError(Exception):
    """The database cannot be opened or used; the message names the URL without secrets."""


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the digest read while the poller writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def open_store(url: str) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """Create the engine and the schema if it is missing (first run)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    except Exception as exc:
        await engine.dispose()
        safe_url = make_url(url).render_as_string(hide_password=True)
        raise StoreError(f"cannot open the database {safe_url}: {exc.__class__.__name__}: {exc}") from None
    return engine, async_sessionmaker(engine, expire_on_commit=False)

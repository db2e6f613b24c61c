"""The database engine: SQLite (file, WAL) by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).with_name("migrations")
# The schema of releases that created tables without migrations.
BASELINE_REVISION = "0001"


class Turn(IntEnum):
    """Work that bot processes sharing one PostgreSQL database do one at a time: advisory lock keys
    (any constants; "brie" and on)."""

    MIGRATION = 0x62726965
    CONFIG = 0x62726966  # the config's feeds and channels written into the store
    GROUPING = 0x62726967  # articles put into stories


class StoreError(Exception):
    """The database cannot be opened or used; the message names the URL without secrets."""


_TAKE_TURN = text("SELECT pg_advisory_xact_lock(:key)")


async def wait_for_turn(session: AsyncSession, turn: Turn) -> None:
    """On PostgreSQL, wait until no other process is doing `turn`, and hold it until the session's
    transaction ends (commit or rollback). A no-op on SQLite, which one process uses at a time."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_TAKE_TURN, {"key": int(turn)})


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
    """Create the engine and bring the schema up to date (creating it on first run)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_schema)
    except Exception as exc:
        await engine.dispose()
        safe_url = make_url(url).render_as_string(hide_password=True)
        raise StoreError(f"cannot open the database {safe_url}: {exc.__class__.__name__}: {exc}") from None
    return engine, async_sessionmaker(engine, expire_on_commit=False)


def upgrade_schema(connection: Connection) -> None:
    """Run the Alembic migrations the database has not had yet, in the caller's transaction."""
    if connection.dialect.name == "postgresql":
        # Bot processes starting together against one database migrate one after the other.
        connection.execute(_TAKE_TURN, {"key": Turn.MIGRATION})
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    tables = set(inspect(connection).get_table_names())
    if "feeds" in tables and "alembic_version" not in tables:
        command.stamp(config, BASELINE_REVISION)  # created by a release without migrations
    command.upgrade(config, "head")

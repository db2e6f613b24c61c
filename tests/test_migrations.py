"""Alembic migrations: they build the schema the models describe, adopt databases made before
migrations existed, and let several bot processes start against one database at once."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text

from bot.store.db import BASELINE_REVISION, MIGRATIONS, create_engine, open_store
from bot.store.tables import Base, Feed
from tests.store import EVERY_STORE


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


@EVERY_STORE
async def test_migrations_build_exactly_the_schema_of_the_models(store_url):
    engine, _ = await open_store(store_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    assert differences == []
    assert revision == head_revision()


def create_baseline_schema_without_migrations(connection) -> None:
    """The schema of the releases that created tables without migrations (no alembic_version)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, BASELINE_REVISION)
    connection.execute(text("DROP TABLE alembic_version"))


@EVERY_STORE
async def test_a_database_made_before_migrations_is_adopted_with_its_data(store_url):
    engine = create_engine(store_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(create_baseline_schema_without_migrations)
            await connection.execute(insert(Feed).values(name="kept", url="https://example.org/rss", interval=900))
    finally:
        await engine.dispose()
    engine, sessions = await open_store(store_url)
    try:
        async with sessions() as session:
            assert await session.scalar(select(Feed.name)) == "kept"
            assert await session.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_bot_processes_starting_together_migrate_one_after_the_other(postgres_url):
    # Without the migration lock they block each other's CREATE TABLEs: bounded, not a hang.
    opened = await asyncio.wait_for(asyncio.gather(*(open_store(postgres_url) for _ in range(4))), timeout=60)
    try:
        async with opened[0][1]() as session:
            assert await session.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    finally:
        for engine, _ in opened:
            await engine.dispose()

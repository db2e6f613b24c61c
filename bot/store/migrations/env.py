"""Alembic environment: the bot hands in its open connection; the alembic CLI (for writing new
revisions) connects to `-x url=...` or alembic.ini's sqlalchemy.url with a synchronous driver."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from bot.store.tables import Base

config = context.config


def run_migrations(connection) -> None:
    # render_as_batch: SQLite can only change a column by copying its table.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as cli_connection:
        run_migrations(cli_connection)

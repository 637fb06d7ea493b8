"""Alembic run programmatically at start-up on the service's own engine, and the shared env.py body."""
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.tables import dead_letters, metadata as plumbing_metadata


def _config(migrations: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    return config


async def upgrade(engine: AsyncEngine, migrations: Path) -> None:
    """Bring the database to head; concurrent starters on PostgreSQL serialize on an advisory lock."""

    def run(connection):
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7039001)")
        config = _config(migrations)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(run)


def run_env(service_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py: migrate on the connection handed over by `upgrade`."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=[service_metadata, plumbing_metadata],
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def create_dead_letter_copy() -> None:
    """Called from a consuming service's later migration: the dead letters' copy, for databases made before it."""
    dead_letters.create(context.get_bind(), checkfirst=True)


def create_plumbing_tables() -> None:
    """Called from each service's first migration: outbox, inbox and idempotency keys."""
    plumbing_metadata.create_all(context.get_bind())

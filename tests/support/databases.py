"""Fresh databases per test session: SQLite files by default, PostgreSQL when TEST_DATABASE_URL is set."""
import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


def postgres_base() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def fresh_database(name: str, directory: Path) -> str:
    """A new empty database URL named after `name` (unique per call)."""
    unique = f"kp_{name}_{uuid.uuid4().hex[:8]}"
    base = postgres_base()
    if base is None:
        return f"sqlite+aiosqlite:///{directory / unique}.db"
    url = make_url(base)
    asyncio.run(_create_postgres_database(url, unique))
    return url.set(database=unique).render_as_string(hide_password=False)


async def _create_postgres_database(url, name: str) -> None:
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def query(url: str, sql: str, **params) -> list[tuple]:
    """Run one read-only statement against a service's database from outside the service (SQLite or PostgreSQL)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql), params)).all()]
    finally:
        await engine.dispose()

"""Fresh databases per test session: SQLite files by default, PostgreSQL when TEST_DATABASE_URL is set."""
import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


def postgres_base() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


_created: list[str] = []  # PostgreSQL databases this session made, dropped when it ends


def fresh_database(name: str, directory: Path) -> str:
    """A new empty database URL named after `name` (unique per call)."""
    unique = f"kp_{name}_{uuid.uuid4().hex[:8]}"
    base = postgres_base()
    if base is None:
        return f"sqlite+aiosqlite:///{directory / unique}.db"
    url = make_url(base)
    _run(_on_server(url, f'CREATE DATABASE "{unique}"'))
    _created.append(unique)
    return url.set(database=unique).render_as_string(hide_password=False)


def drop_created_databases() -> None:
    """Drop the PostgreSQL databases this session made (their services have stopped by now)."""
    base = postgres_base()
    if base is not None and _created:
        _run(_on_server(make_url(base), *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in _created)))
        _created.clear()


def _run(coroutine) -> None:
    """Run `coroutine` to its end from sync code, also when called inside a test's running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, coroutine).result()


async def _on_server(url, *statements: str) -> None:
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        for statement in statements:
            await conn.execute(statement)
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


async def execute(url: str, sql: str, **params) -> None:
    """Run one changing statement against a service's database from outside the service (a fault a test sets up)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    finally:
        await engine.dispose()

"""Database outages for plumbing tests, on SQLite or PostgreSQL, without touching the server others share."""
import asyncio
import contextlib
import sqlite3

import asyncpg
from sqlalchemy.engine import make_url

from kit.db import is_sqlite


@contextlib.asynccontextmanager
async def database_outage(url: str):
    """The database refuses the service while the block runs. SQLite: another connection holds the write lock, so
    every transaction (BEGIN IMMEDIATE) fails "database is locked". PostgreSQL: the outbox is locked and every
    session that waits for it is terminated, as a shutting-down server terminates its sessions."""
    if is_sqlite(url):
        holder = sqlite3.connect(make_url(url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder, killer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    stop = asyncio.Event()

    async def terminate_waiters():
        while not stop.is_set():
            await killer.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND wait_event_type = 'Lock'")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)

    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            terminator = asyncio.create_task(terminate_waiters())
            try:
                yield
            finally:
                stop.set()
                await terminator
    finally:
        await holder.close()
        await killer.close()


@contextlib.asynccontextmanager
async def stalled_outbox(url: str):
    """PostgreSQL: the outbox is locked while the block runs and nobody is terminated, so whoever touches it waits,
    as on a connection that will never answer."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder = await asyncpg.connect(dsn)
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await holder.close()

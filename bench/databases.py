"""Fresh kp_bench_* PostgreSQL databases on the BENCH_DATABASE_URL server, dropped at the end of the run."""
import uuid

import asyncpg
from sqlalchemy.engine import URL, make_url


def connect_args(url: str | URL) -> dict:
    """asyncpg.connect() keyword arguments for a SQLAlchemy URL."""
    url = make_url(url)
    return {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username,
            "password": url.password, "database": url.database}


async def connect(url: str | URL) -> asyncpg.Connection:
    return await asyncpg.connect(**connect_args(url))


class Databases:
    """Creates databases named kp_bench_<role>_<run>_<n>; drop_all() removes every one it created."""

    def __init__(self, server_url: str):
        self.server = make_url(server_url)
        if not self.server.drivername.startswith("postgresql"):
            raise SystemExit(f"BENCH_DATABASE_URL must be PostgreSQL, not {self.server.drivername}")
        self.run = uuid.uuid4().hex[:6]
        self.created: list[str] = []

    async def fresh(self, role: str) -> str:
        name = f"kp_bench_{role}_{self.run}"
        conn = await connect(self.server)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return self.server.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        conn = await connect(self.server)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.clear()

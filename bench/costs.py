"""What one request costs, measured over an interval: CPU seconds of processes (from /proc) and PostgreSQL
transactions of databases (pg_stat_database). Per-request costs are skewed far less than wall-clock rates by other
load on a shared machine; transactions per request do not depend on it at all."""
import asyncio
import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bench.databases import connect

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (fields from the state on), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of one process so far (0 when it is gone or /proc is missing)."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def server_cpu_seconds(postmaster: int) -> float:
    """CPU seconds of a PostgreSQL server so far: the postmaster, its live children, and the children it has reaped
    (its cutime, cstime)."""
    fields = _stat(postmaster)
    if fields is None:
        return 0.0
    total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (child := _stat(int(entry.name))) is not None and child[1] == str(postmaster):
            total += int(child[11]) + int(child[12])
    return total / _TICK


class CpuMeter:
    """CPU seconds each named process spends between start() and stop()."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.start_at: dict[str, float] = {}

    def start(self) -> "CpuMeter":
        self.start_at = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - self.start_at[name] for name, pid in self.pids.items()}


async def transactions(server_url: str, database_urls: dict[str, str]) -> dict[str, int]:
    """Committed + rolled-back transactions so far per named database (a statement outside BEGIN counts as one)."""
    names = {name: make_url(url).database for name, url in database_urls.items()}
    conn = await connect(server_url)
    try:
        rows = await conn.fetch("SELECT datname, xact_commit + xact_rollback AS n FROM pg_stat_database "
                                "WHERE datname = ANY($1::text[])", list(names.values()))
    finally:
        await conn.close()
    by_name = {r["datname"]: r["n"] for r in rows}
    return {name: by_name.get(db, 0) for name, db in names.items()}


class TxMeter:
    """PostgreSQL transactions each named database runs between start() and stop(); statistics reach
    pg_stat_database within about a second, so stop() waits that long first."""

    def __init__(self, server_url: str, database_urls: dict[str, str]):
        self.server_url = server_url
        self.database_urls = database_urls
        self.start_at: dict[str, int] = {}

    async def start(self) -> "TxMeter":
        self.start_at = await transactions(self.server_url, self.database_urls)
        return self

    async def stop(self) -> dict[str, int]:
        await asyncio.sleep(1.5)
        now = await transactions(self.server_url, self.database_urls)
        return {name: now[name] - self.start_at[name] for name in self.database_urls}


class PgCpuMeter:
    """CPU seconds of the PostgreSQL backends serving each named database (same machine, read from /proc), sampled
    every `interval` while running. A backend that starts mid-way is counted from its start, its connection set-up
    included (an app whose pool opens and closes connections under load pays that); one that lives less than an
    interval is missed."""

    def __init__(self, server_url: str, database_urls: dict[str, str], interval: float = 0.25):
        self.server_url = server_url
        self.names = {make_url(url).database: name for name, url in database_urls.items()}
        self.interval = interval
        self.seen: dict[int, tuple[str, float, float]] = {}  # pid -> (name, first cpu, last cpu)
        self._task: asyncio.Task | None = None

    async def _sample(self, conn, *, initial: bool = False) -> None:
        rows = await conn.fetch("SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                                list(self.names))
        for r in rows:
            cpu = cpu_seconds(r["pid"])
            name, first, _ = self.seen.get(r["pid"], (self.names[r["datname"]], cpu if initial else 0.0, cpu))
            self.seen[r["pid"]] = (name, first, max(cpu, first))

    async def _run(self, conn) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._sample(conn)

    async def start(self) -> "PgCpuMeter":
        self._conn = await connect(self.server_url)
        await self._sample(self._conn, initial=True)
        self._task = asyncio.create_task(self._run(self._conn))
        return self

    async def stop(self) -> dict[str, float]:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._sample(self._conn)
        await self._conn.close()
        totals = dict.fromkeys(self.names.values(), 0.0)
        for name, first, last in self.seen.values():
            totals[name] += last - first
        return totals


class ServerCpuMeter:
    """CPU seconds of the whole PostgreSQL server (on this machine) between start() and stop(), backends that exited
    meanwhile included: exact where the per-database sampling misses connections opened and closed under load."""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.postmaster = 0
        self.start_at = 0.0

    async def start(self) -> "ServerCpuMeter":
        conn = await connect(self.server_url)
        try:
            self.postmaster = int(_stat(await conn.fetchval("SELECT pg_backend_pid()"))[1])  # a backend's parent
        finally:
            await conn.close()
        self.start_at = server_cpu_seconds(self.postmaster)
        return self

    def stop(self) -> float:
        return server_cpu_seconds(self.postmaster) - self.start_at


@dataclass
class Measured:
    cpu: dict[str, float]  # process CPU seconds by name
    pg_cpu: dict[str, float]  # PostgreSQL backend CPU seconds by database name (sampled)
    server_cpu: float  # the whole PostgreSQL server's CPU seconds
    tx: dict[str, int]  # PostgreSQL transactions by database name


class Costs:
    """The meters over one interval: process CPU, PostgreSQL CPU (by database and of the whole server) and
    transactions by database."""

    def __init__(self, server_url: str, pids: dict[str, int], database_urls: dict[str, str]):
        self.cpu = CpuMeter(pids)
        self.pg_cpu = PgCpuMeter(server_url, database_urls)
        self.server_cpu = ServerCpuMeter(server_url)
        self.tx = TxMeter(server_url, database_urls)

    async def start(self) -> None:
        await self.tx.start()
        await self.pg_cpu.start()
        await self.server_cpu.start()
        self.cpu.start()

    async def stop(self) -> Measured:
        cpu = self.cpu.stop()
        server_cpu = self.server_cpu.stop()
        pg_cpu = await self.pg_cpu.stop()
        return Measured(cpu, pg_cpu, server_cpu, await self.tx.stop())

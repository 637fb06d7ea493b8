"""The processes under test: the peer app alone, or the platform (broker, registry, reports) on fresh databases."""
import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from bench.databases import Databases
from bench.load import Target
from kit.auth import mint
from kit.broker import EmbeddedBroker, free_port
from kit.processes import ServiceProcess

ROOT = Path(__file__).resolve().parent.parent


def _process(name: str, env: dict[str, str], logs: Path, app: str | None = None) -> ServiceProcess:
    """Same uvicorn flags as every service (kit.processes: uvloop, httptools, no access log), run from the repo."""
    return ServiceProcess(name, port=free_port(), env={"PYTHONPATH": str(ROOT), **env}, log_path=logs / f"{name}.log",
                          app=app)


async def _start(*processes: ServiceProcess) -> None:
    for p in processes:
        p.start(wait=False)
    await asyncio.gather(*(asyncio.to_thread(p.wait_healthy, 90) for p in processes))


@contextlib.asynccontextmanager
async def peer(databases: Databases, logs: Path) -> AsyncIterator[tuple[Target, ServiceProcess]]:
    database_url = await databases.fresh("peer")
    process = _process("peer", {"PEER_DATABASE_URL": database_url}, logs, app="bench.peer_app:app")
    try:
        await _start(process)
        target = Target("peer", process.url, {}, database_url)
        await target.create_unit()
        yield target, process
    finally:
        process.stop()


class Platform:
    """Embedded broker + registry + reports, each service on its own fresh database; an admin token; one unit. With
    `instances` > 1 each service runs that many processes on its database ('reports', 'reports-2', ...): the reports
    instances share the topic's partitions in one consumer group, the registry instances' relays one leader."""

    def __init__(self, databases: Databases, logs: Path, instances: int = 1):
        self.databases = databases
        self.logs = logs
        self.instances = instances
        self.secret = secrets.token_hex(24)
        self.broker = EmbeddedBroker(log_path=logs / "platform-broker.log")
        self.processes: dict[str, ServiceProcess] = {}
        self.database_urls: dict[str, str] = {}
        self.target: Target | None = None

    async def __aenter__(self) -> "Platform":
        try:
            self.broker.start()
            for name in ("registry", "reports"):
                await self._add(name, instances=self.instances)
            await _start(*self.processes.values())
            token = mint(secret=self.secret, subject="bench", scopes=["admin"], ttl=timedelta(hours=1))
            self.target = Target("registry", self.processes["registry"].url, {"Authorization": f"Bearer {token}"},
                                 self.database_urls["registry"])
            await self.target.create_unit()
        except BaseException:
            self.stop()
            raise
        return self

    async def _add(self, name: str, *, instances: int = 1, **env: str) -> list[ServiceProcess]:
        self.database_urls[name] = await self.databases.fresh(name)
        added = []
        for instance in range(1, instances + 1):
            added.append(_process(self.instance_name(name, instance), {
                "KP_KAFKA_BOOTSTRAP": self.broker.bootstrap, "KP_DATABASE_URL": self.database_urls[name],
                "KP_JWT_SECRET": self.secret, **env}, self.logs, app=f"services.{name}.main:app"))
            self.processes[added[-1].name] = added[-1]
        return added

    async def add_service(self, name: str, **env: str) -> ServiceProcess:
        """Start another service on a fresh database of its own (KP_* `env` besides the platform's); it reads its
        topics from the beginning."""
        [process] = await self._add(name, **env)
        await _start(process)
        return process

    @staticmethod
    def instance_name(service: str, instance: int) -> str:
        return service if instance == 1 else f"{service}-{instance}"

    async def __aexit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.broker.stop()

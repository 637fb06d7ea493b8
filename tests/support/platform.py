"""A running platform for tests: one broker and service processes, each service on its own fresh database."""
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kit.broker import EmbeddedBroker, free_port
from kit.processes import ServiceProcess
from tests.support.clock import TODAY
from tests.support.databases import fresh_database

JWT_SECRET = "test-secret-0123456789-0123456789-abcdef"


@dataclass
class Platform:
    broker: EmbeddedBroker
    workdir: Path
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def start_service(self, name: str, *, instance: str | None = None, database_url: str | None = None,
                      extra_env: dict[str, str] | None = None, wait: bool = True) -> ServiceProcess:
        """Start a service process; `instance` names a second copy (scale-out, faults) kept apart in `services`."""
        key = instance or name
        env = {
            "KP_KAFKA_BOOTSTRAP": self.broker.bootstrap,
            "KP_DATABASE_URL": database_url or fresh_database(key, self.workdir),
            "KP_JWT_SECRET": JWT_SECRET,
            "KP_RELAY_POLL_SECONDS": "0.5",
            "KP_FIXED_TODAY": TODAY.isoformat(),  # the run's one date; a test with a clock of its own overrides it
            **(extra_env or {}),
        }
        process = ServiceProcess(name, port=free_port(), env=env, log_path=self.workdir / f"{key}.log")
        self.services[key] = process  # registered before waiting, so stop() also ends one that never got healthy
        return process.start(wait=wait)

    @contextlib.contextmanager
    def configured(self, name: str, instance: str, env: dict[str, str]) -> Iterator[str]:
        """Another instance of a service with settings of its own, for the block; yields its URL."""
        process = self.start_service(name, instance=instance, extra_env=env)
        try:
            yield process.url
        finally:
            process.stop()
            self.services.pop(instance, None)

    def url(self, name: str) -> str:
        return self.services[name].url

    def stop(self) -> None:
        for process in self.services.values():
            process.stop()
        self.broker.stop()


@contextlib.contextmanager
def own_platform(workdir: Path, services: dict[str, dict[str, str]]) -> Iterator[Platform]:
    """A broker and services of their own (a clock of their own, settings of their own), for one test module."""
    running = Platform(broker=EmbeddedBroker(log_path=workdir / "broker.log").start(), workdir=workdir)
    try:
        for name, env in services.items():
            running.start_service(name, extra_env=env)
        yield running
    finally:
        running.stop()

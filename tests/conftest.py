"""Session fixtures: one embedded broker and one set of the four service processes for the whole run."""
import os

import pytest

from contracts import topics

from kit.broker import EmbeddedBroker
from tests.support.api import client
from tests.support.databases import drop_created_databases, fresh_database
from tests.support.events import EventLog
from tests.support.platform import Platform

SERVICE_NAMES = ("registry", "milestones", "alerts", "reports")
# The test webhook receivers listen on loopback, which a deployment refuses as an internal address (SSRF).
SERVICE_ENV = {"alerts": {"KP_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32"]'}}
# Settings built in the test process (handlers applied in-process, the CLI) may use the development secret.
os.environ.setdefault("KP_ENV", "dev")


def pytest_sessionfinish(session, exitstatus):
    drop_created_databases()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("platform")


@pytest.fixture(scope="session")
def platform(workdir):
    broker = EmbeddedBroker(log_path=workdir / "broker.log").start()
    running = Platform(broker=broker, workdir=workdir)
    try:
        for name in SERVICE_NAMES:
            running.start_service(name, extra_env=SERVICE_ENV.get(name))
        yield running
    finally:
        running.stop()


@pytest.fixture
async def registry(platform):
    async with client(platform.url("registry")) as http:
        yield http


@pytest.fixture
async def alerts(platform):
    async with client(platform.url("alerts")) as http:
        yield http


@pytest.fixture
async def milestones(platform):
    async with client(platform.url("milestones")) as http:
        yield http


@pytest.fixture
async def reports(platform):
    async with client(platform.url("reports")) as http:
        yield http


@pytest.fixture
def registry_events(platform):
    return EventLog(platform.broker.bootstrap, topics.REGISTRY)


@pytest.fixture
def alerts_events(platform):
    return EventLog(platform.broker.bootstrap, topics.ALERTS, distinct=True)


@pytest.fixture
def milestones_events(platform):
    return EventLog(platform.broker.bootstrap, topics.MILESTONES)


@pytest.fixture
def batched_and_one_by_one(tmp_path) -> tuple[str, str]:
    """Two empty databases: for a fetch applied in one transaction, and for its events applied one by one."""
    return fresh_database("batched", tmp_path), fresh_database("one_by_one", tmp_path)

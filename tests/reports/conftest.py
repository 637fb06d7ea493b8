"""Reports test platform: its own broker, a real registry and a reports instance, and the fixture cities on them.

The session platform also runs the milestones and alerts services, which react to registry events by themselves
(colouring projects, scheduling nodes); the figures here must come only from events the tests decide, so the
reports tests run on a platform of their own and produce the milestones' and alerts' events themselves."""
import asyncio
from pathlib import Path

import pytest

from kit.broker import EmbeddedBroker
from tests.reports.cities import (CITY_REPORTS_ENV, DatedCity, HistoryCity, MainCity, build_dated_city,
                                  build_history_city, build_main_city)
from tests.reports.trees import TreeCity, build_tree_city
from tests.support.api import client
from tests.support.platform import Platform

HERE = Path(__file__).parent
# The first test that needs a city waits for it to be built through the registry's API (minutes on a busy machine).
TIMEOUT_SECONDS = 900


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.timeout(TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def city_platform(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reports-platform")
    broker = EmbeddedBroker(log_path=workdir / "broker.log").start()
    platform = Platform(broker=broker, workdir=workdir)
    try:
        platform.start_service("registry")
        platform.start_service("reports", extra_env={**CITY_REPORTS_ENV, "KP_CONSUMER_GROUP": "reports-city"})
        yield platform
    finally:
        platform.stop()


@pytest.fixture(scope="session")
async def city_registry(city_platform):
    async with client(city_platform.url("registry"), "admin") as http:
        yield http


@pytest.fixture(scope="session")
async def city_reports(city_platform):
    async with client(city_platform.url("reports"), "admin") as http:
        yield http


@pytest.fixture(scope="session")
async def city(city_platform, city_registry, city_reports) -> MainCity:
    """This year's city: 116 projects worth 565.2 亿元 in seven units, built through the registry's API, with the
    other services' colours, nodes and tasks produced as events."""
    return await build_main_city(city_platform, city_registry, city_reports)


@pytest.fixture(scope="session")
async def history(city_platform, city_registry, city_reports) -> HistoryCity:
    """Last year's small city, dated in November and December, with both months frozen."""
    return await build_history_city(city_platform, city_registry, city_reports)


@pytest.fixture(scope="session")
async def dated(city_platform, city_registry, city_reports) -> DatedCity:
    """A list three years back with a park, a district and a town, dated through its spring: a project registered
    after April, one archived in May, tasks answered, returned and resolvable, an alert cleared in May; April and May
    frozen."""
    return await build_dated_city(city_platform, city_registry, city_reports)


@pytest.fixture(scope="session")
async def tree(city_platform, city_registry, city_reports) -> TreeCity:
    """A district above a town, a street and a park (above a town), beside a department and a district; projects
    named as formulas; November and December frozen."""
    return await build_tree_city(city_platform, city_registry, city_reports)


@pytest.fixture
def bootstrap(city_platform) -> str:
    return city_platform.broker.bootstrap


async def start_reports_instance(platform: Platform, name: str, env: dict[str, str]):
    """Another reports process on the reports platform, with its own database and consumer group."""
    return await asyncio.to_thread(platform.start_service, "reports", instance=name,
                                   extra_env={**CITY_REPORTS_ENV, "KP_CONSUMER_GROUP": f"reports-{name}", **env})

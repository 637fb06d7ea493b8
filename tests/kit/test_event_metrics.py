"""Event metrics on /metrics after known traffic: the registry's published events, reports' consumed events by type,
and reports' consumer lag back to 0 on every partition once it caught up."""
import pytest

from contracts import topics
from contracts.registry import ProjectRegistered, UnitCreated
from tests.support.api import client, eventually
from tests.support.factories import create_project, create_unit
from tests.support.kafka import partitions
from tests.support.metrics import samples, scrape, value

pytestmark = pytest.mark.timeout(180)

PROJECTS = 12


async def counts(registry_url: str, reports_url: str) -> tuple[float, float, float]:
    """(published on the registry topic, ProjectRegistered consumed, UnitCreated consumed)."""
    registry_text, reports_text = await scrape(registry_url), await scrape(reports_url)
    return (value(registry_text, "kp_events_published_total", service="registry", topic=topics.REGISTRY),
            value(reports_text, "kp_events_consumed_total", service="reports", type=ProjectRegistered.type),
            value(reports_text, "kp_events_consumed_total", service="reports", type=UnitCreated.type))


def registry_lags(reports_text: str) -> dict[str, float]:
    """Reports' consumer lag per partition of the registry topic."""
    return {labels["partition"]: v for name, labels, v in samples(reports_text)
            if name == "kp_consumer_lag" and labels.get("service") == "reports" and labels.get("topic") == topics.REGISTRY}


async def settled_counts(registry_url: str, reports_url: str) -> tuple[float, float, float]:
    """The counts once nothing earlier is still on its way (two readings a second apart agree)."""
    latest = None

    async def stable() -> bool:
        nonlocal latest
        previous, latest = latest, await counts(registry_url, reports_url)
        return latest == previous

    await eventually(stable, timeout=60, interval=1.0, what="the event counters settled")
    return latest


async def test_published_consumed_and_lag_follow_known_traffic(platform):
    registry_url, reports_url = platform.url("registry"), platform.url("reports")
    published, registered, units = await settled_counts(registry_url, reports_url)

    async with client(registry_url) as registry:
        unit = await create_unit(registry)
        for _ in range(PROJECTS):
            await create_project(registry, unit["id"])
    sent = PROJECTS + 1  # and one UnitCreated

    async def caught_up() -> bool:
        now = await counts(registry_url, reports_url)
        return now[0] >= published + sent and now[1] >= registered + PROJECTS and now[2] >= units + 1

    await eventually(caught_up, timeout=60, interval=0.2, what="the traffic published and consumed")
    assert await settled_counts(registry_url, reports_url) == (published + sent, registered + PROJECTS, units + 1)

    registry_partitions = {str(p) for p in await partitions(platform.broker.bootstrap, topics.REGISTRY)}

    async def lag_gone() -> bool:
        lags = registry_lags(await scrape(reports_url))
        return set(lags) == registry_partitions and not any(lags.values())

    await eventually(lag_gone, timeout=30, interval=0.2, what="reports' lag back to 0 on every registry partition")


async def test_labelled_counters_exist_at_zero_from_the_start(platform):
    """An alert on `increase(kp_events_dead_lettered_total[10m])` needs the series before the first dead letter."""
    text = await scrape(platform.url("alerts"))
    names = {(name, labels.get("service"), labels.get("topic")) for name, labels, _ in samples(text)}
    for consumed in (topics.REGISTRY, topics.MILESTONES):
        assert ("kp_events_dead_lettered_total", "alerts", topics.dead_letter(consumed)) in names
    assert ("kp_events_published_total", "alerts", topics.ALERTS) in names
    assert ("kp_events_failed_total", "alerts", None) in names and ("kp_outbox_refeeds_total", "alerts", None) in names

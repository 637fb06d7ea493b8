"""Outbox retention: the relay drops published events older than KP_OUTBOX_RETENTION_DAYS, on its first pass and
then at most once an hour, and keeps the recent and the unpublished ones."""
import asyncio
import uuid
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select, update

from kit.clock import utcnow
from kit.outbox import Relay
from kit.tables import outbox
from tests.kit.test_relay_faults import relay_settings, running_relay, stage_probes, unpublished
from tests.support.api import eventually
from tests.support.kafka import read_topic

pytestmark = pytest.mark.timeout(120)

RETENTION_DAYS = 7


async def rows_by_marker(sessionmaker) -> dict[str, object]:
    """Marker -> published_at of every row the outbox holds."""
    async with sessionmaker() as session:
        rows = (await session.execute(select(outbox.c.body, outbox.c.published_at))).all()
    return {orjson.loads(row.body)["data"]["marker"]: row.published_at for row in rows}


async def backdate(sessionmaker, marker: str, *, days: float, published: bool = True) -> None:
    """Make the row of `marker` `days` old: created then, and published then (or still unpublished)."""
    when = utcnow() - timedelta(days=days)
    async with sessionmaker() as session:
        rows = (await session.execute(select(outbox.c.id, outbox.c.body))).all()
        [row_id] = [r.id for r in rows if orjson.loads(r.body)["data"]["marker"] == marker]
        await session.execute(update(outbox).where(outbox.c.id == row_id)
                              .values(created_at=when, published_at=when if published else None))
        await session.commit()


async def test_published_events_past_the_retention_are_purged_and_the_rest_kept(plumbing, broker):
    url, sessionmaker = plumbing
    topic = f"keyproject.tests.retention.{uuid.uuid4().hex[:10]}"
    settings = relay_settings(url, broker.bootstrap, outbox_retention_days=RETENTION_DAYS, relay_poll_seconds=0.2)

    async def all_published() -> bool:
        return await unpublished(sessionmaker) == 0

    # Published for real first: the relay re-feeds an outbox whose published rows the broker does not hold.
    await stage_probes(sessionmaker, topic, "expired", "recent", "expires-later")
    async with running_relay(settings, sessionmaker, topic):
        await eventually(all_published, timeout=30, what="the first events published")
    await backdate(sessionmaker, "expired", days=RETENTION_DAYS + 1)
    await backdate(sessionmaker, "recent", days=RETENTION_DAYS - 1)
    await backdate(sessionmaker, "expires-later", days=RETENTION_DAYS - 1)
    # Created long ago but never published (the broker was away): it must be published, not purged.
    await stage_probes(sessionmaker, topic, "old-unpublished")
    await backdate(sessionmaker, "old-unpublished", days=RETENTION_DAYS * 10, published=False)

    async with running_relay(settings, sessionmaker, topic) as task:
        async def expired_gone() -> bool:
            return "expired" not in await rows_by_marker(sessionmaker)

        await eventually(expired_gone, timeout=30, what="the expired event purged by a fresh relay")
        await eventually(all_published, timeout=30, what="the old unpublished event published")
        kept = await rows_by_marker(sessionmaker)
        assert sorted(kept) == ["expires-later", "old-unpublished", "recent"]

        # Past the retention now, but the relay purged less than an hour ago: it waits for its next hourly purge.
        await backdate(sessionmaker, "expires-later", days=RETENTION_DAYS + 1)
        await stage_probes(sessionmaker, topic, "wake-up")  # a commit wakes the relay for more passes
        await eventually(all_published, timeout=30, what="the wake-up event published")
        await asyncio.sleep(1.0)  # passes every 0.2 s: several more by now
        assert "expires-later" in await rows_by_marker(sessionmaker), "purged again within the hour"
        assert not task.done(), f"the relay died: {task.exception()!r}"

    async with running_relay(settings, sessionmaker, topic):  # a fresh relay purges on its first pass
        async def expires_later_gone() -> bool:
            return "expires-later" not in await rows_by_marker(sessionmaker)

        await eventually(expires_later_gone, timeout=30, what="the newly expired event purged by a fresh relay")
    assert sorted(await rows_by_marker(sessionmaker)) == ["old-unpublished", "recent", "wake-up"]

    markers = [orjson.loads(r.value)["data"]["marker"] for r in await read_topic(broker.bootstrap, topic)]
    assert markers == ["expired", "recent", "expires-later", "old-unpublished", "wake-up"], \
        "purging the outbox must not touch the topic, nor publish anything again"


async def test_an_unpublished_event_is_never_purged_however_old(plumbing):
    """A pass purges after it published, so a row committed meanwhile is still unpublished when the purge runs."""
    url, sessionmaker = plumbing
    topic = f"keyproject.tests.retention.{uuid.uuid4().hex[:10]}"
    settings = relay_settings(url, "127.0.0.1:1", outbox_retention_days=RETENTION_DAYS)
    await stage_probes(sessionmaker, topic, "expired", "old-unpublished")
    await backdate(sessionmaker, "expired", days=RETENTION_DAYS + 1)
    await backdate(sessionmaker, "old-unpublished", days=RETENTION_DAYS * 10, published=False)

    await Relay(settings=settings, sessionmaker=sessionmaker, topic=topic)._purge_expired()

    assert await rows_by_marker(sessionmaker) == {"old-unpublished": None}

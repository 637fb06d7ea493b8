"""The automatic monthly snapshots: once a month has ended (and, for the month just ended, the configured days
passed), freeze it as soon as the consumer has applied every event published until then. Every ended month not frozen
yet is, from the go-live on: a month that ended while the service was down is frozen when it is back, and the months
of a list entered mid-year with its history a few days after it was entered."""
import asyncio
import logging
from datetime import date, timedelta

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import connection
from kit.clock import today as clock_today
from kit.errors import Conflict
from services.reports.dependencies import reading_sessionmaker
from services.reports.models import ProjectView, Snapshot
from services.reports.offsets import exact_ends, partitions_of
from services.reports.periods import first_day, last_day, month_of, months_between, previous_month
from services.reports.settings import ReportsSettings
from services.reports.snapshots import service

log = logging.getLogger(__name__)


async def caught_up(settings: ReportsSettings, topics: list[str]) -> bool:
    """Whether this service's consumer group has committed every event the topics hold now.

    The group's offsets are read with the admin client: a consumer in the group's name, even manually assigned,
    would be seen by the broker and could disturb the live members."""
    consumer = AIOKafkaConsumer(**connection(settings), group_id=None, enable_auto_commit=False,
                                request_timeout_ms=5000)
    admin = AIOKafkaAdminClient(**connection(settings), request_timeout_ms=5000)
    try:
        await consumer.start()
        await admin.start()
        await consumer._client.force_metadata_update()
        partitions = partitions_of(consumer, topics)
        if not partitions:
            return True
        consumer.assign(partitions)
        ends = await exact_ends(consumer, partitions)
        committed = await admin.list_consumer_group_offsets(settings.group_id, partitions=partitions)
        return all(not end or partition in committed and committed[partition].offset >= end
                   for partition, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def due_months(session: AsyncSession, *, today: date, delay_days: int, go_live: str | None = None,
                     backfill_days: int = 0) -> list[str]:
    """The ended months not frozen yet, oldest first: from the go-live (configured, else the month the list begins:
    its earliest 入库 day) to the month just ended, once `delay_days` of this month have passed (else to the one
    before). Nothing before any project was entered; months that had ended before the first project was entered (a
    list entered mid-year with its history) only `backfill_days` after that entry."""
    last = previous_month(month_of(today))
    if today < first_day(month_of(today)) + timedelta(days=delay_days):
        last = previous_month(last)
    listed_from, first_entry = (await session.execute(select(
        func.min(ProjectView.registered_on), func.min(ProjectView.entered_on)
    ).where(ProjectView.registered.is_(True)))).one()
    if listed_from is None and first_entry is None:
        return []  # an empty platform freezes nothing
    months = months_between(go_live or month_of(listed_from or first_entry), last)
    if first_entry is not None and today < first_entry + timedelta(days=backfill_days):
        months = [month for month in months if last_day(month) >= first_entry]
    frozen = set((await session.scalars(select(Snapshot.period).where(Snapshot.period.in_(months)))).all())
    return [month for month in months if month not in frozen]


async def take_if_due(app: FastAPI, *, today: date | None = None) -> list[str]:
    """Freeze every month that is due (as of `today`, default the clock's) and not frozen yet; the periods taken."""
    settings: ReportsSettings = app.state.settings
    today = today or clock_today(settings)
    async with reading_sessionmaker(app)() as session:
        due = await due_months(session, today=today, delay_days=settings.snapshot_delay_days,
                               go_live=settings.go_live, backfill_days=settings.snapshot_backfill_days)
    if not due:
        return []
    if not await caught_up(settings, app.state.topics.consumes):
        log.info("snapshots of %s wait for the consumer to catch up", ", ".join(due))
        return []
    taken = []
    for period in due:
        async with app.state.sessionmaker() as session:
            try:
                async with session.begin():
                    await service.take(session=session, period=period, kind="auto", taken_by="scheduler",
                                       target_rate=settings.target_rate, today=today,
                                       target_rounding=settings.target_rounding,
                                       suspended_in_start_rate=settings.suspended_in_start_rate)
            except (Conflict, IntegrityError):
                continue  # another instance (or an admin) froze it first
        log.info("snapshot of %s taken", period)
        taken.append(period)
    return taken


async def snapshot_scheduler(app: FastAPI) -> None:
    """The background job: look every KP_SNAPSHOT_CHECK_SECONDS whether a month is due."""
    settings: ReportsSettings = app.state.settings
    if not settings.auto_snapshots:
        return
    while True:
        # first look one interval after start-up: the consumer has not even joined its group before
        await asyncio.sleep(settings.snapshot_check_seconds)
        try:
            await take_if_due(app)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the broker or database may be away; the next look retries
            log.warning("automatic snapshot failed; retrying later", exc_info=True)

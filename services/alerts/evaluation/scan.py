"""The daily scan: every parcel, late task and project evaluated for one date, streamed in batches.

Idempotent for a date: alerts, statuses and escalation levels are brought to what the date implies, so a
second run for the same date finds nothing to change and publishes nothing. One scan at a time per database
(an asyncio lock in the process, an advisory lock on PostgreSQL).
"""
import asyncio
import logging
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.alerts import EscalationLevel, TaskStatus
from kit.clock import today, utcnow
from services.alerts.configuration import service as configuration
from services.alerts.evaluation.due import mark_due
from services.alerts.evaluation.engine import Evaluation
from services.alerts.models import ParcelFact, ProjectFact, ScanRun, Task
from services.alerts.reporting import open_non_reporter_tasks
from services.alerts.settings import AlertsSettings

log = logging.getLogger(__name__)

_SCAN_LOCK = 0x6B70_0A02
_LOCKS: dict[int, asyncio.Lock] = {}


class ScanBusy(Exception):
    """Another scan is running against this database."""


def _transient(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a busy database (SQLite): worth running again."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001") or any(w in str(exc.orig).lower() for w in ("deadlock", "database is locked"))


def _process_lock(sessionmaker: async_sessionmaker) -> asyncio.Lock:
    return _LOCKS.setdefault(id(sessionmaker), asyncio.Lock())


async def _ids(session: AsyncSession, column, after: str, limit: int, *where) -> list[str]:
    query = select(column).where(column > after, *where).order_by(column).limit(limit)
    return list((await session.scalars(query)).all())


async def run(*, sessionmaker: async_sessionmaker, as_of: date, batch_size: int = 2000, trigger: str = "admin",
              wait: bool = True) -> dict:
    """Scan everything for `as_of`; returns what changed. With wait=False a running scan elsewhere means ScanBusy."""
    lock = _process_lock(sessionmaker)
    if not wait and lock.locked():
        raise ScanBusy("a scan is already running in this process")
    async with lock:
        engine = sessionmaker.kw["bind"]
        conn = None
        if engine.dialect.name == "postgresql":
            conn = await engine.connect()
            if wait:
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _SCAN_LOCK})
            elif not await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _SCAN_LOCK}):
                await conn.close()
                raise ScanBusy("a scan is already running in another instance")
            await conn.commit()
        try:
            return await _scan(sessionmaker, as_of, batch_size, trigger)
        finally:
            if conn is not None:
                # A pooled connection outlives close(): release the session-level lock explicitly.
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _SCAN_LOCK})
                await conn.commit()
                await conn.close()


async def _scan(sessionmaker: async_sessionmaker, as_of: date, batch_size: int, trigger: str) -> dict:
    started = utcnow()
    async with sessionmaker() as session:
        settings = await configuration.load(session=session)
        await session.commit()
    counts: Counter = Counter()

    async def batch(work):
        """One batch in one transaction; a batch that lost a deadlock to the consumer (which locks the same project
        rows in event order) is simply run again."""
        for attempt in range(1, 6):
            try:
                async with sessionmaker() as session:
                    evaluation = Evaluation(session, settings, as_of, opens_tasks=True)
                    result = await work(evaluation)
                    await evaluation.flush()
                    await session.commit()
                counts.update(evaluation.counts)
                return result
            except DBAPIError as exc:
                if attempt == 5 or not _transient(exc):
                    raise
                log.info("scan for %s: batch retried after %s", as_of, exc.orig)
                await asyncio.sleep(0.1 * attempt)

    async def by_ids(column, *where, work) -> None:
        after = ""
        while after is not None:
            async def step(evaluation: Evaluation):
                ids = await _ids(evaluation.session, column, after, batch_size, *where)
                if ids:
                    await work(evaluation, ids)
                return ids[-1] if ids else None

            after = await batch(step)

    async def parcels(evaluation: Evaluation, ids: list[str]) -> None:
        if touched := await evaluation.parcels(ids):  # their colour includes the parcels' alerts
            await mark_due(evaluation.session, ProjectFact.id.in_(touched))

    async def tasks(evaluation: Evaluation, ids: list[str]) -> None:
        rows = (await evaluation.session.execute(select(*Task.__table__.columns).where(Task.id.in_(ids)))).all()
        await evaluation.escalate_tasks(list(rows))

    # Parcels first, so each project's colour below includes its parcels' alerts of the same date.
    await by_ids(ParcelFact.id, work=parcels)
    # Open tasks as far past their deadline as the first rung (unit_head_days: 1 by default, 0 = the deadline day).
    first_rung = as_of - timedelta(days=settings.tasks.unit_head_days)
    await by_ids(Task.id, Task.status == TaskStatus.open, Task.resolvable.is_(False), Task.on_hold.is_(False),
                 Task.deadline <= first_rung,
                 Task.escalation_level != EscalationLevel.accountability, work=tasks)
    after: str | None = ""
    while after is not None:
        last = after
        after = await batch(lambda evaluation: evaluation.next_projects(after=last, limit=batch_size))
    # Units that had not reported in a round whose deadline has passed (未报): a task each, once.
    async with sessionmaker() as session:
        if opened := await open_non_reporter_tasks(session, as_of=as_of):
            counts["round_tasks"] += opened
        await session.commit()
    summary = {"as_of": as_of.isoformat(), "trigger": trigger, **dict(sorted(counts.items())),
               "seconds": round((utcnow() - started).total_seconds(), 3)}
    async with sessionmaker() as session:
        session.add(ScanRun(as_of=as_of, trigger=trigger, started_at=started, finished_at=utcnow(), counts=summary))
        await session.commit()
    log.info("scan for %s: %s", as_of, summary)
    return summary


async def scanned(sessionmaker: async_sessionmaker, as_of: date) -> bool:
    async with sessionmaker() as session:
        found = await session.scalar(select(ScanRun.id).where(ScanRun.as_of == as_of,
                                                              ScanRun.finished_at.is_not(None)).limit(1))
        await session.commit()
    return found is not None


def seconds_until_next(settings: AlertsSettings, now: datetime | None = None) -> float:
    """Seconds from now until the next scan time in the deployment's time zone."""
    zone = ZoneInfo(settings.timezone)
    now = now or datetime.now(zone)
    at = datetime.combine(now.date(), settings.scan_at, tzinfo=zone)
    if at <= now:
        at = datetime.combine(now.date() + timedelta(days=1), settings.scan_at, tzinfo=zone)
    return max((at - now).total_seconds(), 1.0)


async def daily_scan(app: FastAPI) -> None:
    """Background job: scan for today unless done already, then once a day at the configured local time."""
    settings: AlertsSettings = app.state.settings
    if not settings.daily_scan:
        return
    sessionmaker = app.state.sessionmaker
    while True:
        on = today(settings)
        try:
            if not await scanned(sessionmaker, on):
                await run(sessionmaker=sessionmaker, as_of=on, batch_size=settings.scan_batch_size,
                          trigger="schedule", wait=False)
        except ScanBusy:
            log.info("scheduled scan for %s skipped: another scan is running", on)
        except Exception:  # noqa: BLE001 - the schedule must survive a failed run; it is retried shortly
            log.exception("scheduled scan for %s failed; retrying in a minute", on)
            await asyncio.sleep(60)
            continue
        await asyncio.sleep(seconds_until_next(settings))

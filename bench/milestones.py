"""Milestones benchmarks: schedule generation for many projects, and the daily scan over a large node table.

Both run the service's own code in-process against a fresh database (PostgreSQL or SQLite) migrated by the
service's migrations; rows the measurement does not exercise are seeded with bulk inserts (COPY on PostgreSQL).

    measure_generation(url, projects=10_000)             schedules generated as on registration, one transaction each
    measure_registrations(url, projects=2_000)           registrations applied as the consumer's fetches (facts + schedule)
    measure_scan(url, projects=100_000, nodes_per_project=10)   a catch-up scan, the daily scan, a rerun

Standalone: `python -m bench.milestones` (BENCH_DATABASE_URL: the PostgreSQL server, default the local test one;
BENCH_MILESTONES_PROJECTS / BENCH_MILESTONES_SCAN_PROJECTS to resize).
"""
import asyncio
import os
import random
import resource
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from kit.tables import outbox
from services.milestones.models import Milestone, MilestoneAlert, ProjectFact, Schedule
from services.milestones.scan import service as scan
from services.milestones.schedules import service as schedules
from services.milestones.settings import MilestonesSettings
from services.milestones.status import alert_levels, first_alert_date
from services.milestones.templates.builtin import BUILTIN

MIGRATIONS = Path(__file__).resolve().parent.parent / "services" / "milestones" / "migrations"
SCAN_TARGET_SECONDS = 30.0
CATEGORIES = ["industry", "manufacturing", "services", "agriculture", "infrastructure", "social"]


def _settings(url: str, **overrides) -> MilestonesSettings:
    return MilestonesSettings(database_url=url, daily_scan=False, **overrides)


def _rss_mb() -> float:
    """Resident set size now (Linux /proc), in MB."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakMemory:
    """Samples the resident set size while a measurement runs: its growth over the start is what the work held."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.start, self.peak = interval, 0.0, 0.0
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, _rss_mb())
            await asyncio.sleep(self.interval)

    async def __aenter__(self) -> "PeakMemory":
        self.start = self.peak = _rss_mb()
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self.peak = max(self.peak, _rss_mb())

    @property
    def growth_mb(self) -> float:
        return round(self.peak - self.start, 1)


async def _migrated(url: str) -> AsyncEngine:
    engine = make_engine(url)
    await upgrade(engine, MIGRATIONS)
    return engine


async def _count(engine: AsyncEngine, what) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(what))


# --- generation ---------------------------------------------------------------------------------------------------

async def _seed_projects(engine: AsyncEngine, projects: int, *, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    ids, rows = [], []
    for i in range(projects):
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365))
        project_id = str(uuid.uuid4())
        ids.append(project_id)
        rows.append(dict(id=project_id, code=f"B{i:07d}", name=f"基准项目{i}", responsible_unit_id=f"unit-{i % 120}",
                         category=CATEGORIES[i % len(CATEGORIES)], stage="planning", planned_start_date=start,
                         planned_completion_date=start + timedelta(days=rng.randrange(300, 900)), stage_dates={},
                         real_start_date=None, statistics_included_date=None, archived=False, version=1,
                         updated_at=now))
    async with engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            await conn.execute(insert(ProjectFact), rows[chunk:chunk + 5000])
    return ids


async def measure_generation(database_url: str, *, projects: int = 10_000, concurrency: int = 8) -> dict:
    """Generate the category template's schedule (backward from the planned completion) for `projects` projects,
    each in its own transaction as the registry consumer does, `concurrency` at a time."""
    engine = await _migrated(database_url)
    settings = _settings(database_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        ids = await _seed_projects(engine, projects)
        queue: asyncio.Queue[str] = asyncio.Queue()
        for project_id in ids:
            queue.put_nowait(project_id)
        latencies: list[float] = []

        async def worker() -> None:
            while not queue.empty():
                project_id = queue.get_nowait()
                began = time.perf_counter()
                async with sessionmaker() as session:
                    project = await session.get(ProjectFact, project_id)
                    await schedules.generate_automatically(session=session, project=project, settings=settings,
                                                           today=date(2026, 6, 1))
                    await session.commit()
                latencies.append(time.perf_counter() - began)

        async with PeakMemory() as memory:
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            seconds = time.perf_counter() - started
        nodes = await _count(engine, Milestone)
        events = await _count(engine, outbox)
    finally:
        await engine.dispose()
    latencies.sort()
    result = {
        "projects": projects, "nodes": nodes, "events": events, "seconds": round(seconds, 2),
        "projects_per_second": round(projects / seconds, 1), "nodes_per_second": round(nodes / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "concurrency": concurrency, "memory_growth_mb": memory.growth_mb,
    }
    print(f"  milestones generation: {projects} projects, {nodes} nodes in {seconds:.1f}s = "
          f"{result['projects_per_second']} projects/s ({result['nodes_per_second']} nodes/s), "
          f"p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms per schedule, {concurrency} concurrent; "
          f"memory +{memory.growth_mb} MB", flush=True)
    return result


async def measure_registrations(database_url: str, *, projects: int = 2_000, fetch: int = 500) -> dict:
    """Projects registered with planned dates, applied as the consumer applies its fetches (`fetch` events a
    transaction: each creates the project's facts and generates its schedule): an import's burst, end to end in the
    service. No broker: the records are handed to the consumer's own batch path."""
    from types import SimpleNamespace

    from contracts.envelope import encode, new_event
    from contracts.registry import ProjectRegistered
    from kit.consumer import Consumer
    from services.milestones.handlers import handlers, per_fetch

    engine = await _migrated(database_url)
    settings = _settings(database_url, fixed_today=date(2026, 6, 1))
    consumer = Consumer(settings=settings, sessionmaker=make_sessionmaker(engine), topics=[],
                        handlers=handlers(settings), batch_scope=per_fetch)
    rng = random.Random(3)
    events = []
    for i in range(projects):
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365))
        data = ProjectRegistered(
            id=str(uuid.uuid4()), code=f"R{i:07d}", name=f"基准项目{i}", year=2026, level="municipal",
            category=CATEGORIES[i % len(CATEGORIES)], sector="secondary", total_investment=1000,
            annual_plan_investment=100, bracket="lt_1yi", responsible_unit_id=f"unit-{i % 120}", stage="planning",
            version=1, planned_start_date=start, planned_completion_date=start + timedelta(days=rng.randrange(300, 900)))
        events.append(SimpleNamespace(value=encode(new_event(data, subject=data.id, source="/keyproject/registry")),
                                      topic=data.topic))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for at in range(0, projects, fetch):
            assert await consumer._apply_batch(events[at:at + fetch]), "a fetch fell back to one by one"
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        generated = await _count(engine, Schedule)
    finally:
        await engine.dispose()
    result = {"projects": projects, "schedules": generated, "seconds": round(seconds, 2),
              "projects_per_second": round(projects / seconds, 1), "cpu_ms": round(cpu * 1000 / projects, 2)}
    print(f"  milestones registrations: {projects} in fetches of {fetch}, {generated} schedules in {seconds:.1f}s = "
          f"{result['projects_per_second']}/s, {result['cpu_ms']} ms CPU each", flush=True)
    return result


# --- daily scan -----------------------------------------------------------------------------------------------------

_COLUMNS = ["id", "project_id", "key", "name", "name_en", "stage", "trigger", "duration_days", "predecessors",
            "position", "planned_date", "baseline_date", "actual_date", "done_days_late", "pinned",
            "responsible_unit_id", "responsible_person", "weight", "critical", "custom", "completed_by", "forced",
            "evidence", "note", "closed", "version", "created_at", "updated_at"]
_ALERT_COLUMNS = ["milestone_id", "alert_round", "next_alert_date"]


def _node_rows(projects: int, nodes_per_project: int, as_of: date, *, seed: int = 11):
    """Nodes of `projects` projects, a project at a time: a year and a half of plans around `as_of`, 30 days apart;
    nodes more than a month past mostly done (85 %), open ones waiting for their first alert date."""
    rng = random.Random(seed)
    levels = alert_levels(due_soon_days=7, overdue_thresholds=[1, 15, 30])
    template = BUILTIN["industrial"][3]
    now = datetime.now(timezone.utc)
    for p in range(projects):
        project_id = str(uuid.uuid4())
        unit = f"unit-{p % 120}"
        start = as_of + timedelta(days=rng.randrange(-365, 180))
        for i in range(nodes_per_project):
            spec = template[i % len(template)]
            planned = start + timedelta(days=30 * i)
            done = planned < as_of - timedelta(days=30) and rng.random() < 0.85
            actual = planned + timedelta(days=rng.randrange(-5, 20)) if done else None
            node_id = str(uuid.uuid4())
            yield ((node_id, project_id, f"{spec.key}-{i}", spec.name, spec.name_en, None, None, spec.duration_days,
                    orjson.dumps([f"{template[(i - 1) % len(template)].key}-{i - 1}"] if i else []).decode(),
                    i, planned, planned, actual, max((actual - planned).days, 0) if actual else None, False, unit,
                    None, 1, i % 3 == 0, False, None, False, "[]", None, False, 1, now, now),
                   (node_id, 0, None if done else first_alert_date(planned, levels)))


async def _seed_nodes(engine: AsyncEngine, projects: int, nodes_per_project: int, as_of: date) -> int:
    chunk, written = 50_000, 0
    rows = _node_rows(projects, nodes_per_project, as_of)
    async with engine.connect() as conn:
        postgres = engine.dialect.name == "postgresql"
        driver = (await conn.get_raw_connection()).driver_connection if postgres else None
        while True:
            batch = [r for _, r in zip(range(chunk), rows)]
            if not batch:
                break
            nodes, alerts = [n for n, _ in batch], [a for _, a in batch]
            if postgres:
                await driver.copy_records_to_table("milestones", records=nodes, columns=_COLUMNS)
                await driver.copy_records_to_table("milestone_alerts", records=alerts, columns=_ALERT_COLUMNS)
            else:
                values = [dict(zip(_COLUMNS, n)) for n in nodes]
                for row in values:  # the JSON columns take Python values through SQLAlchemy
                    row["predecessors"], row["evidence"] = orjson.loads(row["predecessors"]), []
                await conn.execute(insert(Milestone.__table__), values)
                await conn.execute(insert(MilestoneAlert.__table__), [dict(zip(_ALERT_COLUMNS, a)) for a in alerts])
            written += len(batch)
        await conn.commit()
        if postgres:
            await conn.exec_driver_sql("ANALYZE milestones")
            await conn.exec_driver_sql("ANALYZE milestone_alerts")
            await conn.commit()
    return written


async def _timed_scan(sessionmaker, settings, as_of: date, label: str) -> dict:
    async with PeakMemory() as memory:
        result = await scan.run(sessionmaker=sessionmaker, settings=settings, as_of=as_of, trigger="bench")
    events = result.due_soon + result.overdue
    figures = {"as_of": as_of.isoformat(), "seconds": result.seconds, "examined": result.examined,
               "due_soon": result.due_soon, "overdue": result.overdue, "batches": result.batches,
               "events_per_second": round(events / result.seconds, 1) if result.seconds else 0.0,
               "memory_growth_mb": memory.growth_mb}
    print(f"  milestones scan ({label}) as of {as_of}: {result.examined} nodes examined, {result.due_soon} due soon, "
          f"{result.overdue} overdue in {result.seconds:.2f}s ({result.batches} batches); "
          f"memory +{memory.growth_mb} MB", flush=True)
    return figures


async def measure_scan(database_url: str, *, projects: int = 100_000, nodes_per_project: int = 10,
                       as_of: date = date(2026, 6, 1), batch_size: int = 2000) -> dict:
    """The daily scan over `projects` × `nodes_per_project` nodes: first the catch-up the day before (the heaviest
    run there is: a table never scanned, every open node past its alert date announced at once), then the day's
    scan (the daily work, which the 30 s target is about), then the day's scan again (must announce nothing)."""
    engine = await _migrated(database_url)
    settings = _settings(database_url, scan_batch_size=batch_size)
    sessionmaker = make_sessionmaker(engine)
    try:
        seeding = time.perf_counter()
        nodes = await _seed_nodes(engine, projects, nodes_per_project, as_of)
        print(f"  milestones scan: seeded {nodes} nodes of {projects} projects in "
              f"{time.perf_counter() - seeding:.1f}s", flush=True)
        catch_up = await _timed_scan(sessionmaker, settings, as_of - timedelta(days=1), "catch-up, never scanned")
        daily = await _timed_scan(sessionmaker, settings, as_of, "daily")
        again = await _timed_scan(sessionmaker, settings, as_of, "same date again")
        events = await _count(engine, outbox)
    finally:
        await engine.dispose()
    met = daily["seconds"] < SCAN_TARGET_SECONDS and again["due_soon"] + again["overdue"] == 0
    print(f"  milestones scan: daily scan over {nodes} nodes in {daily['seconds']:.2f}s, target < "
          f"{SCAN_TARGET_SECONDS:g}s {'met' if met else 'MISSED'} (catch-up {catch_up['seconds']:.1f}s); "
          f"{events} events staged in all", flush=True)
    return {"nodes": nodes, "projects": projects, "catch_up": catch_up, "daily": daily, "again": again,
            "events": events, "target_seconds": SCAN_TARGET_SECONDS, "met": met}


async def main() -> None:
    from bench.databases import Databases

    server = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://127.0.0.1:5432/test")
    dbs = Databases(server)
    try:
        print("=== milestones: schedule generation", flush=True)
        await measure_generation(await dbs.fresh("ms_generation"),
                                 projects=int(os.environ.get("BENCH_MILESTONES_PROJECTS", 10_000)))
        print("=== milestones: daily scan", flush=True)
        await measure_scan(await dbs.fresh("ms_scan"),
                           projects=int(os.environ.get("BENCH_MILESTONES_SCAN_PROJECTS", 100_000)))
    finally:
        await dbs.drop_all()


if __name__ == "__main__":
    asyncio.run(main())

"""Alerts benchmark: events/s through the rule engine, and the daily scan over 100,000 projects (target < 30 s).

`await measure(database_url)` seeds an empty alerts database directly (facts rows, no broker), then
- applies `events` InvestmentReported events as the consumer does (inbox row + facts + evaluation + outbox),
  a fetch of 500 per transaction (and a quarter as many one transaction each, the consumer's fallback path),
  and reports events/s;
- runs the daily scan four times: the first (every alert raised, every status and task written), the same
  date again (idempotent: nothing to change, and every project left as evaluated), the next day and the day after
  (projects left until the next day their evaluation may change by the date alone, reckoned for the projects the
  first scan changed from their tasks as it wrote them: `services.alerts.evaluation.due`; the days alerts count are
  in their wording, so nothing is rewritten for them).

Standalone: `python -m bench.alerts [database_url]` (default: BENCH_DATABASE_URL, else a SQLite file).
"""
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text

from contracts import registry
from contracts.envelope import encode, new_event
from kit.clock import utcnow
from kit.consumer import Consumer
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.alerts.evaluation import scan
from services.alerts.handlers import FactHandlers
from services.alerts.models import Alert, MilestoneFact, ProjectFact, Task, Unit
from services.alerts.settings import AlertsSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "services" / "alerts" / "migrations"
AS_OF = date(2027, 6, 1)
UNITS = 200
STAGES = ["planning", "signed", "land_supplied", "started", "started", "started", "completed"]


def _project(i: int, rng: random.Random, unit_ids: list[str]) -> dict:
    """A plausible project: about a third late to start, some stalled, paper starts, budgets, lagging investment."""
    stage = rng.choice(STAGES)
    base = AS_OF - timedelta(days=rng.randint(0, 400))
    dates = {"signed_on": None, "land_supplied_on": None, "started_on": None, "completed_on": None}
    order = ["signed_on", "land_supplied_on", "started_on", "completed_on"]
    reached = {"planning": 0, "signed": 1, "land_supplied": 2, "started": 3, "completed": 4}[stage]
    for k, name in enumerate(order[:reached]):
        dates[name] = base + timedelta(days=20 * k)
    plan = Decimal(rng.choice([0, 5000, 20000, 36500]))
    funded = rng.random() < 0.15
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))), "code": f"B{i:06d}", "name": f"基准项目{i}", "year": AS_OF.year,
        "unit_id": unit_ids[i % len(unit_ids)], "lead_leader": "包联领导", "stage": stage,
        "planned_start_date": AS_OF - timedelta(days=rng.randint(-120, 120)), "planned_completion_date": None,
        **dates, "real_start_date": dates["started_on"] if rng.random() < 0.6 else None,
        "statistics_status": rng.choice(["accepted", "accepted", "submitted", "not_submitted"]),
        "annual_plan_investment": plan, "ytd_investment": plan * Decimal(rng.randint(0, 120)) / 100,
        "ytd_year": AS_OF.year, "government_funded": funded, "budget": Decimal(10000) if funded else None,
        "approved_adjustments": Decimal(0) if funded else None, "spent_to_date": None,
        "overrun_ratio": Decimal(rng.choice(["-0.2", "0.05", "0.3"])) if funded else None,
        "archived": False, "version": 1, "evaluated_on": None, "updated_at": utcnow(),
    }


async def seed(sessionmaker, *, projects: int, seed_value: int = 7) -> list[str]:
    """Insert units, projects and (for every fifth project) two schedule nodes, directly; returns project ids."""
    rng = random.Random(seed_value)
    unit_ids = [str(uuid.uuid4()) for _ in range(UNITS)]
    ids: list[str] = []
    async with sessionmaker() as session:
        await session.execute(insert(Unit), [{"id": u, "code": f"BU{k:03d}", "name": f"单位{k}", "kind": "town",
                                              "parent_id": None} for k, u in enumerate(unit_ids)])
        await session.commit()
    for start in range(0, projects, 5000):
        rows = [_project(i, rng, unit_ids) for i in range(start, min(start + 5000, projects))]
        nodes = [{"id": str(uuid.uuid4()), "project_id": r["id"], "key": f"n{k}", "name": name,
                  "planned_date": AS_OF - timedelta(days=rng.randint(-30, 60)), "actual_date": None,
                  "critical": k == 0, "updated_at": utcnow()}
                 for n, r in enumerate(rows) if n % 5 == 0 for k, name in enumerate(("施工许可", "主体封顶"))]
        async with sessionmaker() as session:
            await session.execute(insert(ProjectFact), rows)
            await session.execute(insert(MilestoneFact), nodes)
            await session.commit()
        ids.extend(r["id"] for r in rows)
    return ids


async def _events_per_second(sessionmaker, settings: AlertsSettings, project_ids: list[str], count: int,
                             *, fetch: int) -> float:
    """InvestmentReported events through the consumer's own unit of work (inbox row + facts + evaluation + outbox),
    without the broker: `fetch` events per transaction as a fetch is applied, or 1 for the one-by-one path."""
    facts = FactHandlers(settings)
    consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=[], handlers=facts.handlers(),
                        batch_scope=facts.per_fetch)
    handler = FactHandlers(settings).on_investment
    rng = random.Random(11)
    async with sessionmaker() as session:
        units = dict((await session.execute(select(ProjectFact.id, ProjectFact.unit_id).where(
            ProjectFact.id.in_(project_ids[:count])))).all())
    events = []
    for n in range(count):
        project_id = project_ids[n % len(units)]  # the first `count` projects, round robin when fewer
        ytd = Decimal(rng.randint(0, 40000))
        data = registry.InvestmentReported(project_id=project_id, responsible_unit_id=units[project_id],
                                           period="2027-05", year=2027, amount=ytd, ytd_investment=ytd,
                                           cumulative_investment=ytd, annual_plan_investment=Decimal(36500))
        events.append((new_event(data, subject=project_id, source="/bench/registry"), data))
    started = time.perf_counter()
    if fetch == 1:
        for cloud_event, data in events:
            await consumer._apply(handler, cloud_event, data)
    else:
        for start in range(0, count, fetch):
            records = [SimpleNamespace(value=encode(e), topic=d.topic) for e, d in events[start:start + fetch]]
            assert await consumer._apply_batch(records), "a fetch fell back to one by one"
    return count / (time.perf_counter() - started)


async def _analyzed(engine) -> None:
    """What autovacuum does within a minute of a tenth of a table changing, and a day passes between two scans: the
    planner's statistics of the tables just seeded or written (without them it scans a whole table per batch)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))


async def measure(database_url: str, *, projects: int = 100_000, events: int = 2_000,
                  batch_size: int = 2000) -> dict:
    """Seed `projects` into the empty database at `database_url`, then time the engine; figures in a dict."""
    engine = make_engine(database_url)
    try:
        await upgrade(engine, MIGRATIONS)
        sessionmaker = make_sessionmaker(engine)
        settings = AlertsSettings(database_url=database_url, fixed_today=AS_OF, daily_scan=False)
        started = time.perf_counter()
        ids = await seed(sessionmaker, projects=projects)
        seeded = time.perf_counter() - started

        timings = {}
        for name, on in (("first", AS_OF), ("again", AS_OF), ("next_day", AS_OF + timedelta(days=1)),
                         ("day_after", AS_OF + timedelta(days=2))):
            await _analyzed(engine)
            started, cpu = time.perf_counter(), time.process_time()
            summary = await scan.run(sessionmaker=sessionmaker, as_of=on, batch_size=batch_size, trigger="bench")
            timings[name] = (time.perf_counter() - started, summary, time.process_time() - cpu)
        async with sessionmaker() as session:
            active = await session.scalar(select(func.count()).select_from(Alert).where(Alert.active_key.is_not(None)))
            opened = await session.scalar(select(func.count()).select_from(Task))
        half = len(ids) // 2  # the two runs report on different projects
        one_by_one = await _events_per_second(sessionmaker, settings, ids[:half], events // 4, fetch=1)
        batched = await _events_per_second(sessionmaker, settings, ids[half:], events, fetch=500)
        return {
            "projects": projects, "seed_s": round(seeded, 1), "active_alerts": active, "tasks": opened,
            "scan_first_s": round(timings["first"][0], 2), "scan_first_events": timings["first"][1].get("events", 0),
            "scan_again_s": round(timings["again"][0], 2), "scan_again_events": timings["again"][1].get("events", 0),
            "scan_next_day_s": round(timings["next_day"][0], 2),
            # This process's CPU (the database server's not included): what the scan costs on a quiet machine.
            "scan_next_day_cpu_s": round(timings["next_day"][2], 2),
            "scan_again_cpu_s": round(timings["again"][2], 2),
            "scan_next_day_events": timings["next_day"][1].get("events", 0),
            "scan_day_after_s": round(timings["day_after"][0], 2),
            "scan_day_after_left": timings["day_after"][1].get("projects_not_due", 0),
            "engine_events_per_s": round(batched, 1), "engine_events": events,
            "engine_events_per_s_one_by_one": round(one_by_one, 1),
        }
    finally:
        await engine.dispose()


def main() -> None:
    url = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("BENCH_ALERTS_DATABASE_URL")
    if url is None:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/alerts-bench.db"
    projects = int(os.environ.get("BENCH_ALERTS_PROJECTS", 100_000))
    figures = asyncio.run(measure(url, projects=projects))
    for key, value in figures.items():
        print(f"  {key:<24} {value}")
    print(f"  daily scan target < 30 s: {'MET' if figures['scan_next_day_s'] < 30 else 'MISSED'}")


if __name__ == "__main__":
    main()

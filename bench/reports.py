"""Reports at scale: events/s applied into the read models, and overview / ranking latency at 1,000, 100,000 and
1,000,000 projects (goal: p99 under 10 ms at 100,000, 20 ms at a million), with the process CPU each request costs
(client and app, in-process).

    from bench import reports
    figures = await reports.measure(dbs.fresh)   # dbs: bench.databases.Databases (PostgreSQL)
    # {"apply_eps": ..., "apply_one_by_one_eps": ..., "replay_eps": ..., "sizes": {1000: {"overview": {"p50", "p99", ...}, ...}, 100000: {...}}}

or on its own: `BENCH_DATABASE_URL=postgresql+asyncpg://127.0.0.1:5432/postgres python -m bench.reports [SIZE ...]
[--units=N]` (the number of units defaults to one per 500 projects).

Latency: each size gets a fresh database whose read models are seeded directly (projects, their per-unit cells as
the handlers keep them, open tasks, last month's snapshot for the rank changes), then the reports app runs in this
process (no broker, no background jobs) and is asked one request at a time through httpx's ASGI transport. Nothing
changes the database meanwhile, so after the first request each answer is a kept one (services.reports.answers); the
`*_computed` figures are of an app that keeps none, every answer computed as after a change.
Events/s: a mix of registry, milestones and alerts events is applied the way the live consumer applies its fetches
(a fetch of 500 a transaction; and a quarter as many one a transaction, its fallback path), and once more the way a
rebuild replays them (one transaction for all).
"""
import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import sys
import time
import uuid
from types import SimpleNamespace
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
from sqlalchemy import insert, text

from bench.stats import summary
from contracts import alerts, milestones, registry
from contracts.envelope import encode, new_event
from contracts.topics import PRODUCERS
from kit.app import create_service_app
from kit.auth import mint
from kit.consumer import Consumer
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.reports.cells import METRICS, CellKey, ProjectFacts, add, contribution, zero
from services.reports.handlers import CONSUMED_TOPICS, HANDLERS, LIVE_HANDLERS
from services.reports.main import SPEC, freeze_startup_objects
from services.reports.models import (ProjectView, Snapshot, SnapshotCell, SnapshotUnit, TaskView, UnitView,
                                     UnitYearCell)
from services.reports.rebuild.service import apply_read_batch, replaying
from services.reports.settings import ReportsSettings

SIZES = (1_000, 100_000, 1_000_000)
GOAL_P99_MS = 10.0  # overview and rankings at 100,000 projects (twice that at a million)
YEAR = date.today().year
STAGES = ["planning", "signed", "land_supplied", "started", "started", "completed", "in_operation"]
CATEGORIES = ["industry", "manufacturing", "services", "agriculture", "infrastructure", "social"]
SECTORS = {"industry": "secondary", "manufacturing": "secondary", "services": "tertiary", "agriculture": "primary",
           "infrastructure": "tertiary", "social": "tertiary"}
LEVELS = ["national", "provincial", "municipal", "district"]
GRADES = [("blue", "faster"), ("blue", "normal"), ("blue", "normal"), ("yellow", "warning"), ("red", "lagging")]
_CHUNK = 5_000


def _bracket(total: Decimal) -> str:
    return "ge_50yi" if total >= 500_000 else "10_50yi" if total >= 100_000 else "1_10yi" if total >= 10_000 \
        else "lt_1yi"


async def _insert(session, model, rows: list[dict]) -> None:
    """On PostgreSQL by COPY (a million projects in seconds rather than minutes), elsewhere by executemany."""
    if not rows:
        return
    if session.bind.dialect.name == "postgresql":
        driver = (await (await session.connection()).get_raw_connection()).driver_connection
        defaults = {c.key: c.default.arg for c in model.__table__.columns  # what the ORM's INSERT would fill in
                    if c.key not in rows[0] and c.default is not None and c.default.is_scalar}
        columns = [*rows[0], *defaults]
        await driver.copy_records_to_table(model.__tablename__, columns=columns, records=[
            tuple(row[c] for c in rows[0]) + tuple(defaults.values()) for row in rows])
        return
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(model), rows[start:start + _CHUNK])


async def seed(database_url: str, *, projects: int, units: int | None = None, seed_value: int = 7) -> dict:
    """Migrate a fresh database and fill its read models for `projects` projects of this year in `units` units
    (default: one per 500 projects, at least 10)."""
    engine = make_engine(database_url)
    await upgrade(engine, SPEC.migrations)
    sessionmaker = make_sessionmaker(engine)
    rng = random.Random(seed_value)
    unit_count = units or max(10, projects // 500)
    unit_rows = [{"id": str(uuid.uuid4()), "code": f"U{i:04d}", "name": f"单位{i}",
                  "kind": "department" if i % 3 == 0 else "town", "parent_id": None} for i in range(unit_count)]
    rows, cells = [], defaultdict(zero)
    for i in range(projects):
        unit = unit_rows[i % unit_count]
        category, stage = rng.choice(CATEGORIES), rng.choice(STAGES)
        colour, grade = rng.choice(GRADES)
        total = Decimal(rng.randrange(500, 800_000))
        plan = (total / 4).quantize(Decimal("0.000001"))
        ytd = (plan * Decimal(rng.random())).quantize(Decimal("0.000001"))
        nodes = rng.randrange(0, 12)
        done = rng.randrange(0, nodes + 1)
        row = {"id": str(uuid.uuid4()), "registered": True, "archived": False, "version": 3, "code": f"P{i:07d}",
               "name": f"项目{i}", "year": YEAR, "unit_id": unit["id"], "level": rng.choice(LEVELS),
               "category": category, "sector": SECTORS[category], "bracket": _bracket(total), "stage": stage,
               "total_investment": total, "annual_plan_investment": plan, "ytd_investment": ytd,
               "started_date": date(YEAR, 1, 15) if stage in ("started", "completed", "in_operation") else None,
               "real_start_date": date(YEAR, 2, 1) if stage != "planning" and i % 2 else None,
               "statistics_status": "accepted" if i % 5 == 0 else "not_submitted", "colour": colour, "grade": grade,
               "nodes_total": nodes, "nodes_done": done, "nodes_done_on_time": done // 2,
               "nodes_late": rng.randrange(0, nodes - done + 1)}
        rows.append(row)
        facts = ProjectFacts(year=YEAR, unit_id=unit["id"], stage=stage, sector=row["sector"], category=category,
                             level=row["level"], bracket=row["bracket"], colour=colour, grade=grade,
                             statistics=row["statistics_status"], total_investment=total, annual_plan_investment=plan,
                             ytd_investment=ytd, real_started=row["real_start_date"] is not None,
                             nodes_total=nodes, nodes_done=done, nodes_done_on_time=done // 2,
                             nodes_late=row["nodes_late"])
        for key, metrics in contribution(facts).items():
            add(cells[key], metrics)
    period = f"{YEAR}-{max(1, date.today().month - 1):02d}"
    async with sessionmaker() as session:
        async with session.begin():
            await _insert(session, UnitView, unit_rows)
            await _insert(session, ProjectView, rows)
            await _insert(session, UnitYearCell, [_cell_row(key, m) for key, m in cells.items()])
            today = date.today()
            await _insert(session, TaskView, [
                {"id": str(uuid.uuid4()), "project_id": rows[i]["id"], "unit_id": rows[i]["unit_id"],
                 "title": "督办件", "status": "open", "deadline": today + timedelta(days=rng.randrange(-30, 30)),
                 "escalation_level": "none", "opened_on": today - timedelta(days=40), "closed_on": None,
                 "counted_year": YEAR}  # its project counts (registered, not archived), as the projection keeps it
                for i in range(0, projects, 20)])
            session.add(Snapshot(period=period, year=YEAR, as_of=date(YEAR, int(period[5:]), 1), kind="auto",
                                 taken_at=datetime.now(timezone.utc),
                                 taken_by="bench", scoring_version=1, target_rate="0.70",
                                 targets={"year": YEAR, "as_of": str(today), "source": "snapshot", "targets_count": 0,
                                          "reached_count": 0, "not_yet_off_zero_count": 0, "items": []},
                                 parcels={}))
            await session.flush()
            await _insert(session, SnapshotUnit, [{"period": period, "unit_id": u["id"], "code": u["code"],
                                                   "name": u["name"], "kind": u["kind"]} for u in unit_rows])
            await _insert(session, SnapshotCell, [
                {"period": period, "unit_id": unit, "dimension": dimension, "value": value, "open_tasks": 0,
                 "late_tasks": 0, **metrics}
                for (_, unit, dimension, value), metrics in cells.items() if dimension in ("all", "colour")])
    # a database in service has its statistics: plan the queries on them, not on an empty guess
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    await engine.dispose()
    return {"units": unit_rows}


def _cell_row(key: CellKey, metrics: dict) -> dict:
    year, unit, dimension, value = key
    return {"year": year, "unit_id": unit, "dimension": dimension, "value": value, **{m: metrics[m] for m in METRICS}}


@contextlib.asynccontextmanager
async def reports_app(database_url: str, **settings):
    """The reports app in this process on `database_url`, without consumer and background jobs (but for the start-up
    garbage-collector freeze the service does); `settings`: other ReportsSettings (answers_kept=0: none kept)."""
    settings = ReportsSettings(database_url=database_url, kafka_bootstrap="127.0.0.1:9", auto_snapshots=False,
                               **settings)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the client's line a request is not the service's cost
    app = create_service_app(dataclasses.replace(SPEC, consumes=[], handlers={}, background=[freeze_startup_objects]),
                             settings)
    token = mint(secret=settings.jwt_secret.get_secret_value(), subject="bench", scopes=["reports:read"])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reports",
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            yield http


async def latency(http: httpx.AsyncClient, path: str, params: dict, *, requests: int, warmup: int = 20) -> dict:
    """Sequential requests; p50/p99 in ms, and the CPU ms of this process a request."""
    for _ in range(warmup):
        assert (await http.get(path, params=params)).status_code == 200
    samples, cpu = [], time.process_time()
    for _ in range(requests):
        start = time.perf_counter()
        response = await http.get(path, params=params)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return {**summary(samples), "cpu_ms": (time.process_time() - cpu) * 1000 / requests}


def _published(data, *, subject: str):
    """An event as its producer publishes it: consumers refuse one whose source is not its topic's producer."""
    return new_event(data, subject=subject, source=f"/bench/{PRODUCERS[data.topic]}")


def _events(count: int) -> list:
    """A mix of what the three producers publish: registrations, stage changes, investments, statuses, nodes."""
    rng = random.Random(11)
    unit = str(uuid.uuid4())
    out = [_published(registry.UnitCreated(id=unit, code="B1", name="基准镇", kind="town"), subject=unit)]
    projects = []
    while len(out) < count:
        pid = str(uuid.uuid4())
        state = {"id": pid, "code": f"B{len(projects)}", "name": "基准项目", "year": YEAR, "level": "municipal",
                 "category": rng.choice(CATEGORIES), "sector": "secondary", "total_investment": "120000",
                 "annual_plan_investment": "30000", "bracket": "10_50yi", "responsible_unit_id": unit,
                 "stage": "planning", "version": 1}
        projects.append(pid)
        out.append(_published(registry.ProjectRegistered(**state), subject=pid))
        out.append(_published(registry.ProjectStageChanged(**{**state, "stage": "started", "version": 2,
                                                             "stage_dates": {"started": f"{YEAR}-01-10"}},
                                                          from_stage="planning", to_stage="started",
                                                          date=date(YEAR, 1, 10)), subject=pid))
        out.append(_published(registry.InvestmentReported(
            project_id=pid, responsible_unit_id=unit, period=f"{YEAR}-01", year=YEAR, amount="2500.5",
            ytd_investment="2500.5", cumulative_investment="2500.5", annual_plan_investment="30000"),
            subject=pid))
        out.append(_published(alerts.ProjectStatusChanged(project_id=pid, unit_id=unit, from_colour="blue",
                                                         to_colour="yellow", from_grade="normal", to_grade="warning",
                                                         as_of=date(YEAR, 1, 20)), subject=pid))
        node = {"id": str(uuid.uuid4()), "project_id": pid, "key": "k", "name": "节点", "planned_date": date(YEAR, 1, 5),
                "baseline_date": date(YEAR, 1, 5)}
        out.append(_published(milestones.MilestonePlanned(**node, status="pending"), subject=pid))
        out.append(_published(milestones.MilestoneCompleted(**node, status="done_late", actual_date=date(YEAR, 1, 9)),
                             subject=pid))
    return out[:count]


def _decoded(events):
    from contracts.catalog import CATALOG
    return [(event, CATALOG[event.type].model_validate(event.data)) for event in events]


async def apply_rate(database_url: str, *, events: int, fetch: int = 500) -> float:
    """Events/s applied as the live consumer applies its fetches: `fetch` events a transaction (inbox check, handlers
    within the service's batch scope, inbox rows), or 1 for its one-by-one fallback path."""
    engine = make_engine(database_url)
    await upgrade(engine, SPEC.migrations)
    SPEC.on_engine(engine)  # each transaction counted, as in the service
    settings = ReportsSettings(database_url=database_url)
    consumer = Consumer(settings=settings, sessionmaker=make_sessionmaker(engine), topics=CONSUMED_TOPICS,
                        handlers=LIVE_HANDLERS, batch_scope=SPEC.batch_scope)
    decoded = _decoded(_events(events))
    start = time.perf_counter()
    if fetch == 1:
        for event, data in decoded:
            await consumer._apply(consumer.handlers[event.type], event, data)
    else:
        for at in range(0, len(decoded), fetch):
            records = [SimpleNamespace(value=encode(event), topic=data.topic) for event, data in decoded[at:at + fetch]]
            assert await consumer._apply_batch(records), "a fetch fell back to one by one"
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return len(decoded) / elapsed


async def replay_rate(database_url: str, *, events: int) -> float:
    """Events/s applied in one transaction, as a rebuild replays them (services.reports.rebuild.service)."""
    engine = make_engine(database_url)
    await upgrade(engine, SPEC.migrations)
    SPEC.on_engine(engine)
    sessionmaker = make_sessionmaker(engine)
    handlers = {model.type: handler for model, handler in HANDLERS.items()}
    decoded = _decoded(_events(events))
    start = time.perf_counter()
    async with sessionmaker() as session:
        async with session.begin(), replaying(session):
            for at in range(0, len(decoded), 1000):  # the replay's reads: a thousand events at most
                await apply_read_batch(session, decoded[at:at + 1000], handlers)
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return len(decoded) / elapsed


async def measure(fresh: Callable[[str], Awaitable[str]], *, sizes: tuple[int, ...] = SIZES, events: int = 3_000,
                  requests: int = 300, units: int | None = None, log=print) -> dict:
    """Every figure of this module; `fresh(role)` returns the URL of a new empty database."""
    figures = {"apply_eps": await apply_rate(await fresh("reports_apply"), events=events),
               "apply_one_by_one_eps": await apply_rate(await fresh("reports_apply_one"), events=events // 4, fetch=1),
               "replay_eps": await replay_rate(await fresh("reports_replay"), events=events), "sizes": {}}
    log(f"  reports: {figures['apply_eps']:.0f} events/s applied live, {figures['replay_eps']:.0f} events/s replayed")
    for size in sizes:
        url = await fresh(f"reports_{size}")
        started = time.perf_counter()
        seeded = await seed(url, projects=size, units=units)
        seed_s = time.perf_counter() - started
        unit = seeded["units"][1]["id"]
        async with reports_app(url) as http:
            found = {
                "overview": await latency(http, "/api/v1/overview", {"year": YEAR}, requests=requests),
                "overview_unit": await latency(http, "/api/v1/overview", {"year": YEAR, "unit_id": unit},
                                               requests=requests),
                "ranking": await latency(http, "/api/v1/rankings", {"year": YEAR}, requests=requests),
                "ranking_town": await latency(http, "/api/v1/rankings", {"year": YEAR, "group": "town",
                                                                         "metric": "investment_completion_rate"},
                                              requests=requests),
            }
        computed = requests if size < 1_000_000 else min(requests, 50)  # each a whole computation: fewer at a million
        async with reports_app(url, answers_kept=0) as http:
            found["overview_computed"] = await latency(http, "/api/v1/overview", {"year": YEAR}, requests=computed)
            found["ranking_computed"] = await latency(http, "/api/v1/rankings", {"year": YEAR}, requests=computed)
        found["seed_s"] = seed_s
        found["units"] = len(seeded["units"])
        figures["sizes"][size] = found
        for name, s in found.items():
            if name not in ("seed_s", "units"):
                verdict = "" if size < 100_000 or name.endswith("_computed") else \
                    " ok" if s["p99"] < GOAL_P99_MS * (2 if size >= 1_000_000 else 1) else " OVER GOAL"
                log(f"  reports @{size:>7,} projects/{found['units']} units {name:<17} p50 {s['p50']:6.1f} ms  "
                    f"p99 {s['p99']:6.1f} ms  cpu {s['cpu_ms']:5.2f} ms{verdict}")
    return figures


async def _main() -> None:
    from bench.databases import Databases

    dbs = Databases(os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://127.0.0.1:5432/postgres"))
    try:
        sizes = tuple(int(a) for a in sys.argv[1:] if a.isdigit()) or SIZES
        units = next((int(a.split("=")[1]) for a in sys.argv[1:] if a.startswith("--units=")), None)
        await measure(dbs.fresh, sizes=sizes, units=units)
    finally:
        await dbs.drop_all()


if __name__ == "__main__":
    asyncio.run(_main())

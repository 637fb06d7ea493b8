"""What a schedule generated in a transaction of its own writes (on PostgreSQL one statement: its rows as JSON and its
event's outbox row) is what the same schedule writes within a fetch (COPY a table, the events in one insert): every
column of the facts, schedule, nodes, alert rows and history, JSON columns to their stored text, and the event."""
from datetime import date, datetime, timezone
from pathlib import Path

import orjson
from sqlalchemy import JSON, Text, cast, select

from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from kit.tables import outbox
from services.milestones.models import Milestone, MilestoneAlert, MilestoneChange, ProjectFact, Schedule
from services.milestones.schedules import service as schedules
from services.milestones.settings import MilestonesSettings
from services.milestones.writes import Writes
from tests.support.databases import fresh_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "milestones" / "migrations"
TODAY = date(2026, 2, 1)
IDS = {"id", "milestone_id", "project_id", "code", "created_at", "updated_at", "generated_at", "at"}


def fact(code: str) -> ProjectFact:
    """A project registered mid-flight (nodes done by the registry's stages, others inferred: history, notes in
    Chinese), part of its plan already past (planned from today)."""
    return ProjectFact(id=f"project-{code}", code=code, name="中文名称的项目", responsible_unit_id="unit-1",
                       category="services", year=2026, stage="started", suspended_on=None,
                       planned_start_date=date(2025, 3, 1), planned_completion_date=date(2026, 5, 31),
                       stage_dates={"signed": "2025-03-01", "land_supplied": "2025-06-01", "started": "2025-10-08"},
                       real_start_date=None, statistics_included_date=None, archived=False, version=1,
                       updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc))


async def written(session, codes: list[str], settings: MilestonesSettings) -> None:
    await session.scalar(select(ProjectFact.id).limit(1))  # as a consumer's transaction, begun by its reads
    writes = Writes()
    for code in codes:
        project = fact(code)
        writes.facts.append(project)
        assert await schedules.generate_automatically(session=session, project=project, settings=settings,
                                                      today=TODAY, writes=writes)
    await writes.write(session)
    await session.commit()


def _text(table):
    """The table's columns, JSON ones as the text stored."""
    return [cast(c, Text).label(c.key) if isinstance(c.type, JSON) else c for c in table.c]


async def rows_of(session, project_id: str) -> dict:
    keys = dict((await session.execute(select(Milestone.id, Milestone.key)
                                       .where(Milestone.project_id == project_id))).all())

    def plain(row) -> dict:
        values = dict(row._mapping)
        return {**{k: v for k, v in values.items() if k not in IDS}, "node": keys.get(values.get("milestone_id"))}

    async def of(table, where) -> list[dict]:
        found = [plain(r) for r in (await session.execute(select(*_text(table)).where(where))).all()]
        return sorted(found, key=lambda r: orjson.dumps(r, default=str, option=orjson.OPT_SORT_KEYS))

    staged = (await session.execute(select(outbox.c.topic, outbox.c.type, outbox.c.body)
                                    .where(outbox.c.key == project_id))).all()
    events = []
    for topic, kind, body in staged:
        data = orjson.loads(body)["data"]
        events.append((topic, kind, {**data, "project_id": None,
                                     "milestones": [{**n, "id": keys[n["id"]], "project_id": None}
                                                    for n in data["milestones"]]}))
    return {"facts": await of(ProjectFact.__table__, ProjectFact.id == project_id),
            "schedule": await of(Schedule.__table__, Schedule.project_id == project_id),
            "nodes": await of(Milestone.__table__, Milestone.project_id == project_id),
            "alerts": await of(MilestoneAlert.__table__, MilestoneAlert.milestone_id.in_(list(keys))),
            "history": await of(MilestoneChange.__table__, MilestoneChange.project_id == project_id),
            "events": events}


async def test_a_schedule_alone_writes_what_it_writes_within_a_fetch(tmp_path):
    url = fresh_database("writes", tmp_path)
    engine = make_engine(url)
    try:
        await upgrade(engine, MIGRATIONS)
        settings = MilestonesSettings(database_url=url, daily_scan=False)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            await written(session, ["alone"], settings)
            await written(session, ["first", "second"], settings)
            alone, within = await rows_of(session, "project-alone"), await rows_of(session, "project-first")
    finally:
        await engine.dispose()
    assert len(alone["nodes"]) > 5 and alone["history"] and alone["facts"][0]["stage_dates"].startswith("{")
    assert any(n["completed_by"] == "inferred" for n in alone["nodes"]) and len(alone["events"]) == 1
    assert alone == within

"""A fetch applied in one transaction (the consumer's batch path with `per_fetch`: its unknown projects found at
once) leaves the same facts, schedules and nodes as its events applied one by one, each in its own transaction."""
import uuid
from datetime import date
from pathlib import Path
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from contracts import topics
from contracts.envelope import encode
from kit.consumer import Consumer
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.milestones.handlers import handlers, per_fetch
from services.milestones.models import Milestone, ProjectFact, Schedule
from services.milestones.settings import MilestonesSettings
from tests.reports.produced import Published

UNIT, OTHER_UNIT = str(uuid.uuid4()), str(uuid.uuid4())
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "milestones" / "migrations"


def project(index: int, *, completion: date | None, start: date | None = date(2026, 3, 1)) -> Published:
    return Published(id=str(uuid.uuid4()), code=f"F-{index}", name=f"批量项目{index}", year=2026, level="municipal",
                     category="industry", sector="secondary", total_investment=Decimal("1000"),
                     annual_plan_investment=Decimal("100"), bracket="1_10yi", responsible_unit_id=UNIT,
                     planned_start_date=start, planned_completion_date=completion)


def fetches() -> list[list]:
    """Registrations (one without planned dates), a project registered and updated within the fetch, a move, a
    project known from the first fetch updated to another unit and archived in the second."""
    a, b = project(1, completion=date(2027, 6, 30)), project(2, completion=date(2027, 12, 31))
    c, d = project(3, completion=None, start=None), project(4, completion=date(2028, 3, 31))
    return [[a.registered(None), b.registered(None), a.updated(None, planned_completion_date=date(2027, 9, 30)),
             c.registered(None), b.moved("started", date(2026, 4, 1))],
            [d.registered(None), b.updated(None, responsible_unit_id=OTHER_UNIT), a.archived(None),
             c.updated(None, planned_completion_date=date(2027, 8, 31))]]


async def state(url: str, fetched: list[list], *, batched: bool) -> tuple[list, list, list]:
    engine = make_engine(url)
    try:
        await upgrade(engine, MIGRATIONS)
        sessionmaker = make_sessionmaker(engine)
        settings = MilestonesSettings(database_url=url, daily_scan=False, fixed_today=date(2026, 2, 1))
        consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=[], handlers=handlers(settings),
                            batch_scope=per_fetch)
        for events in fetched:
            records = [SimpleNamespace(value=encode(event), topic=topics.REGISTRY) for event in events]
            if batched:
                assert await consumer._apply_batch(records), "the fetch fell back to one by one"
            else:
                for record in records:
                    event, data = consumer._decode(record)
                    assert await consumer._apply(consumer.handlers[event.type], event, data)
        async with sessionmaker() as session:
            facts = (await session.execute(select(
                ProjectFact.code, ProjectFact.version, ProjectFact.stage, ProjectFact.responsible_unit_id,
                ProjectFact.archived, ProjectFact.planned_completion_date).order_by(ProjectFact.code))).all()
            schedules = (await session.execute(select(
                ProjectFact.code, Schedule.template, Schedule.mode, Schedule.anchor_date, Schedule.revision,
                Schedule.closed).join(ProjectFact, ProjectFact.id == Schedule.project_id)
                .order_by(ProjectFact.code))).all()
            nodes = (await session.execute(select(
                ProjectFact.code, Milestone.key, Milestone.planned_date, Milestone.actual_date, Milestone.closed,
                Milestone.responsible_unit_id == OTHER_UNIT, Milestone.version)
                .join(ProjectFact, ProjectFact.id == Milestone.project_id)
                .order_by(ProjectFact.code, Milestone.key))).all()
            return [tuple(f) for f in facts], [tuple(s) for s in schedules], [tuple(n) for n in nodes]
    finally:
        await engine.dispose()


async def test_a_fetch_leaves_what_its_events_one_by_one_leave(batched_and_one_by_one):
    fetched = fetches()
    batched = await state(batched_and_one_by_one[0], fetched, batched=True)
    one_by_one = await state(batched_and_one_by_one[1], fetched, batched=False)
    facts, schedules, nodes = one_by_one
    assert [f[0] for f in facts] == ["F-1", "F-2", "F-3", "F-4"]
    assert [s[0] for s in schedules] == ["F-1", "F-2", "F-3", "F-4"]  # F-3 got one when it was given a completion
    assert len(nodes) > 20 and any(n[5] for n in nodes)  # F-2's nodes followed it to the other unit
    assert batched == one_by_one

"""A fetch applied in one transaction (the consumer's batch path with `per_fetch`: its unknown projects found at
once, the rows its registrations create written at its end) leaves the same facts, schedules, nodes, history and
events as its events applied one by one, each in its own transaction."""
import uuid
from datetime import date
from pathlib import Path
from decimal import Decimal

import orjson
from sqlalchemy import select

from contracts import topics
from contracts.envelope import CloudEvent, new_event
from contracts.registry import ProjectStartConfirmed, StatisticsStatusChanged
from kit import tracing
from kit.consumer import Consumer
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from kit.tables import outbox
from services.milestones.handlers import handlers, per_fetch
from services.milestones.models import Milestone, MilestoneAlert, MilestoneChange, ProjectFact, Schedule
from services.milestones.settings import MilestonesSettings
from tests.reports.produced import REGISTRY_SOURCE, Published
from tests.support.fetches import apply

UNIT, OTHER_UNIT = str(uuid.uuid4()), str(uuid.uuid4())
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "milestones" / "migrations"
TODAY = date(2026, 2, 1)


def project(index: int, *, completion: date | None, start: date | None = date(2026, 3, 1),
            category: str = "industry", **state) -> Published:
    return Published(id=str(uuid.uuid4()), code=f"F-{index}", name=f"批量项目{index}", year=2026, level="municipal",
                     category=category, sector="secondary", total_investment=Decimal("1000"),
                     annual_plan_investment=Decimal("100"), bracket="1_10yi", responsible_unit_id=UNIT,
                     planned_start_date=start, planned_completion_date=completion, **state)


def traced(event: CloudEvent) -> CloudEvent:
    """The event as caused by a request of its own trace."""
    return event.model_copy(update={"traceparent": tracing.child_of(None)})


def started(of: Published, on: date) -> CloudEvent:
    return new_event(ProjectStartConfirmed(project_id=of.id, responsible_unit_id=UNIT, kind="piling", date=on),
                     subject=of.id, source=REGISTRY_SOURCE)


def accepted(of: Published, on: date) -> CloudEvent:
    return new_event(StatisticsStatusChanged(project_id=of.id, responsible_unit_id=UNIT, status="accepted", date=on),
                     subject=of.id, source=REGISTRY_SOURCE)


def fetches() -> list[list]:
    """Registrations (one without planned dates), a project registered and updated within the fetch, a move, a
    project known from the first fetch updated to another unit and archived in the second; projects of other
    categories' templates, one registered and confirmed started and included in the statistics within the fetch,
    one registered mid-flight (stages already reached, the rest of its plan already past), one suspended, one whose
    plan falls outside its plausible years (no schedule), one whose start is confirmed before it is registered."""
    a, b = project(1, completion=date(2027, 6, 30)), project(2, completion=date(2027, 12, 31))
    c, d = project(3, completion=None, start=None), project(4, completion=date(2028, 3, 31))
    e = project(5, completion=date(2028, 6, 30), category="infrastructure")
    f = project(6, completion=date(2026, 5, 31), start=date(2025, 3, 1), category="services", stage="started",
                stage_dates={"signed": date(2025, 3, 1), "land_supplied": date(2025, 6, 1),
                             "started": date(2025, 10, 8)})
    g = project(7, completion=date(2027, 9, 30), category="agriculture", suspended_on=date(2026, 1, 20))
    h = project(8, completion=date(2015, 6, 30), start=None, category="social")
    i = project(9, completion=date(2027, 10, 31), category="manufacturing")
    return [[traced(a.registered(None)), traced(b.registered(None)),
             a.updated(None, planned_completion_date=date(2027, 9, 30)), c.registered(None),
             b.moved("started", date(2026, 4, 1)), traced(e.registered(None)), started(e, date(2026, 1, 15)),
             accepted(e, date(2026, 1, 25)), traced(f.registered(None)), traced(g.registered(None)),
             h.registered(None), started(i, date(2026, 1, 10)), traced(i.registered(None))],
            [d.registered(None), b.updated(None, responsible_unit_id=OTHER_UNIT), a.archived(None),
             c.updated(None, planned_completion_date=date(2027, 8, 31)), started(i, date(2026, 1, 12))]]


async def state(url: str, fetched: list[list], *, batched: bool) -> tuple[list, ...]:
    engine = make_engine(url)
    try:
        await upgrade(engine, MIGRATIONS)
        sessionmaker = make_sessionmaker(engine)
        settings = MilestonesSettings(database_url=url, daily_scan=False, fixed_today=TODAY)
        consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=[], handlers=handlers(settings),
                            batch_scope=per_fetch)
        await apply(consumer, fetched, batched=batched, topic=lambda _: topics.REGISTRY)
        async with sessionmaker() as session:
            facts = (await session.execute(select(
                ProjectFact.code, ProjectFact.version, ProjectFact.stage, ProjectFact.responsible_unit_id,
                ProjectFact.archived, ProjectFact.planned_completion_date, ProjectFact.real_start_date,
                ProjectFact.statistics_included_date, ProjectFact.suspended_on).order_by(ProjectFact.code))).all()
            schedules = (await session.execute(select(
                ProjectFact.code, Schedule.template, Schedule.mode, Schedule.anchor_date, Schedule.revision,
                Schedule.closed, Schedule.replanned_from).join(ProjectFact, ProjectFact.id == Schedule.project_id)
                .order_by(ProjectFact.code))).all()
            nodes = (await session.execute(select(
                ProjectFact.code, Milestone.key, Milestone.planned_date, Milestone.baseline_date,
                Milestone.actual_date, Milestone.completed_by, Milestone.paused_on, Milestone.closed,
                Milestone.critical, Milestone.responsible_unit_id == OTHER_UNIT, Milestone.version,
                MilestoneAlert.alert_round, MilestoneAlert.next_alert_date)
                .join(ProjectFact, ProjectFact.id == Milestone.project_id)
                .join(MilestoneAlert, MilestoneAlert.milestone_id == Milestone.id)
                .order_by(ProjectFact.code, Milestone.key))).all()
            history = (await session.execute(select(
                ProjectFact.code, Milestone.key, MilestoneChange.action, MilestoneChange.reason)
                .join(Milestone, Milestone.id == MilestoneChange.milestone_id)
                .join(ProjectFact, ProjectFact.id == Milestone.project_id)
                .order_by(ProjectFact.code, Milestone.key, MilestoneChange.id))).all()
            codes = dict((await session.execute(select(ProjectFact.id, ProjectFact.code))).all())
            staged = (await session.execute(select(outbox.c.key, outbox.c.body).order_by(outbox.c.id))).all()
        events = sorted(((codes[key], *_what(orjson.loads(body))) for key, body in staged), key=lambda e: e[0])
        return ([tuple(f) for f in facts], [tuple(s) for s in schedules], [tuple(n) for n in nodes],
                [tuple(h) for h in history], events)
    finally:
        await engine.dispose()


def _what(body: dict) -> tuple:
    """An event as the comparison sees it: its type, and the nodes it carries (their ids differ from run to run)."""
    data = body["data"]
    carried = data.get("milestones", [data] if "key" in data else [])
    return body["type"], tuple((n["key"], n["planned_date"], n["actual_date"], n["status"]) for n in carried)


def trace_ids(events: list[CloudEvent]) -> dict[str, str]:
    """The trace of each traced registration, by project."""
    return {event.subject: tracing.trace_id(event.model_extra["traceparent"]) for event in events
            if event.type.endswith("registered.v1") and (event.model_extra or {}).get("traceparent")}


async def test_a_fetch_leaves_what_its_events_one_by_one_leave(batched_and_one_by_one):
    fetched = fetches()
    batched = await state(batched_and_one_by_one[0], fetched, batched=True)
    one_by_one = await state(batched_and_one_by_one[1], fetched, batched=False)
    facts, schedules, nodes, history, events = one_by_one
    assert [f[0] for f in facts] == [f"F-{i}" for i in range(1, 10)]
    # F-3 got one when it was given a completion; F-8's plan would fall before its plausible years
    assert [s[0] for s in schedules] == ["F-1", "F-2", "F-3", "F-4", "F-5", "F-6", "F-7", "F-9"]
    assert {s[1] for s in schedules} >= {"industrial", "infrastructure"} and len({s[1] for s in schedules}) >= 3
    assert len(nodes) > 80 and any(n[9] for n in nodes)  # F-2's nodes followed it to the other unit
    by_project = {code: [n for n in nodes if n[0] == code] for code in ("F-5", "F-6", "F-7", "F-9")}
    assert any(n[4] == date(2026, 1, 15) for n in by_project["F-5"])  # its real start, confirmed in the fetch
    assert any(n[4] == date(2026, 1, 12) for n in by_project["F-9"])  # confirmed again after its registration
    assert {n[5] for n in by_project["F-6"]} >= {"registry", "inferred", None}  # registered mid-flight
    assert [s[6] for s in schedules if s[0] == "F-6"] == [TODAY]  # its past plan planned from today
    assert all(n[6] == date(2026, 1, 20) and n[12] is None for n in by_project["F-7"])  # suspended: paused
    assert {h[2] for h in history if h[0] == "F-6"} == {"completed"}
    assert ("F-2", "keyproject.milestones.milestone.completed.v1") in {e[:2] for e in events}
    assert batched == one_by_one


async def test_a_fetch_stages_each_schedule_in_the_trace_of_its_registration(batched_and_one_by_one):
    fetched = fetches()
    await state(batched_and_one_by_one[0], fetched, batched=True)
    engine = make_engine(batched_and_one_by_one[0])
    try:
        async with engine.connect() as conn:
            staged = (await conn.execute(select(outbox.c.key, outbox.c.type, outbox.c.body))).all()
    finally:
        await engine.dispose()
    carried = {key: tracing.trace_id(orjson.loads(body)["traceparent"]) for key, kind, body in staged
               if kind == "keyproject.milestones.schedule.generated.v1"}
    expected = trace_ids([event for events in fetched for event in events])
    assert len(expected) == 6 and all(carried[project_id] == trace for project_id, trace in expected.items())

"""A fetch applied in one transaction (`batch_writes`: each project row and cell written once, at its end) leaves
the same read models as its events applied one by one, each in its own transaction."""
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from contracts.catalog import CATALOG
from contracts.envelope import decode, encode, new_event
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.reports.handlers import HANDLERS
from services.reports.main import SPEC
from services.reports.models import ProjectView, StatusHistory, TaskHistory, UnitYearCell
from services.reports.projection import batch_writes
from contracts import alerts, milestones
from tests.reports.produced import MILESTONES_SOURCE, Published, node, status, task

UNIT, OTHER_UNIT = str(uuid.uuid4()), str(uuid.uuid4())


def project(unit: str, total: str, index: int) -> Published:
    return Published(id=str(uuid.uuid4()), code=f"B-{index}", name=f"批量项目{index}", year=2026, level="municipal",
                     category="industry", sector="secondary", total_investment=Decimal(total),
                     annual_plan_investment=Decimal("100"), bracket="1_10yi", responsible_unit_id=unit)


def fetches() -> list[list]:
    """Two fetches of three projects' events, interleaved: registrations, a move, money (a month corrected within
    the fetch), nodes (planned, then one done late, one overdue, one left out by a regenerated schedule and one
    removed: the counts a fetch recounts at its end), a status, an archive, and an update to another unit (the row leaves one unit's cells for another's); the
    second changes rows the first wrote."""
    a, b, c = project(UNIT, "20000", 1), project(UNIT, "30000", 2), project(OTHER_UNIT, "40000", 3)
    planned = [node(milestones.MilestonePlanned, a.id, key, status_="pending", planned=date(2026, 4, day))
               for key, day in (("k1", 5), ("k2", 10), ("k3", 20))]
    done_late = node(milestones.MilestoneCompleted, a.id, "k1", status_="done_late", planned=date(2026, 4, 5),
                     actual=date(2026, 4, 8))
    overdue = node(milestones.MilestoneOverdue, a.id, "k2", status_="overdue", planned=date(2026, 4, 10),
                   as_of=date(2026, 4, 12), threshold_days=0)
    return [[a.registered(None), b.registered(None), a.invested("2026-03", "12.5"), c.registered(None), *planned,
             a.invested("2026-03", "14"), a.moved("started", date(2026, 4, 1)), done_late],
            [status(b.id, UNIT, "red", "lagging", date(2026, 4, 2)), b.archived(None),
             task(alerts.TaskOpened, "batched", UNIT, project_id=a.id, deadline=date(2026, 5, 1), status_="open",
                  opened_on=date(2026, 4, 2)),
             status(a.id, UNIT, "yellow", "warning", date(2026, 4, 3)),
             a.invested("2026-04", "7.25"), c.updated(None, responsible_unit_id=UNIT),
             overdue,
             # a node kept earlier in the fetch that the regenerated schedule leaves out goes, as one by one
             node(milestones.MilestonePlanned, a.id, "k4", status_="pending", planned=date(2026, 6, 1)),
             new_event(milestones.ScheduleGenerated(
                 project_id=a.id, template="industrial", mode="backward", anchor_date=date(2026, 12, 31),
                 milestones=[milestones.MilestoneState.model_validate(e.data) for e in (done_late, overdue)]),
                 subject=a.id, source=MILESTONES_SOURCE),
             node(milestones.MilestoneRemoved, a.id, "k3", status_="pending", planned=date(2026, 4, 20)),
             a.invested("2026-04", "8"), a.moved("completed", date(2026, 5, 1))]]


async def read_models(url: str, fetched: list[list], *, batched: bool) -> tuple[list, list]:
    """The projects (but when they were applied) and cells after applying the fetches: each in one transaction
    within `batch_writes`, or each event in its own."""
    engine = make_engine(url)
    try:
        await upgrade(engine, SPEC.migrations)
        sessionmaker = make_sessionmaker(engine)
        for events in fetched:
            decoded = [decode(encode(event), CATALOG) for event in events]
            if batched:
                async with sessionmaker() as session, session.begin(), batch_writes(session, decoded):
                    for event, data in decoded:
                        await HANDLERS[type(data)](session, event, data)
            else:
                for event, data in decoded:
                    async with sessionmaker() as session, session.begin():
                        await HANDLERS[type(data)](session, event, data)
        async with sessionmaker() as session:
            columns = [c for c in ProjectView.__table__.columns if c.name != "applied_at"]
            projects = (await session.execute(select(*columns).order_by(ProjectView.code))).all()
            cells = (await session.execute(select(UnitYearCell.__table__).order_by(
                UnitYearCell.unit_id, UnitYearCell.dimension, UnitYearCell.value))).all()
            histories = [tuple(r) for model, columns in ((StatusHistory, ("project_id", "as_of", "colour", "grade")),
                                                         (TaskHistory, ("task_id", "date", "status")))
                         for r in (await session.execute(select(*(getattr(model, c) for c in columns))
                                                         .order_by(model.id))).all()]
            return [p._asdict() for p in projects], [tuple(c) for c in cells] + histories
    finally:
        await engine.dispose()


async def test_a_batch_leaves_what_its_events_one_by_one_leave(batched_and_one_by_one):
    fetched = fetches()
    batched_projects, batched_cells = await read_models(batched_and_one_by_one[0], fetched, batched=True)
    projects, cells = await read_models(batched_and_one_by_one[1], fetched, batched=False)
    assert len(projects) == 3 and len(cells) > 18
    # B-1: March corrected to 14 within the first fetch, April 7.25 then 8 within the second; k3 removed
    assert [(p["code"], p["ytd_investment"], p["nodes_total"], p["nodes_done"], p["nodes_late"])
            for p in projects][0] == ("B-1", Decimal("22"), 2, 1, 1)
    assert batched_projects == projects
    assert batched_cells == cells

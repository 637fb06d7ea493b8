"""A rebuild folds each read of its replay in memory (each row's last state, a project's cells changed once, every
upsert of a table written together): replayed in reads of any size into empty read models, in one transaction, the
events leave what they leave applied one by one, each in its own transaction (an event repeated once)."""
import uuid
from datetime import date
from decimal import Decimal

import pytest

from contracts import alerts, milestones, registry
from contracts.catalog import CATALOG
from contracts.envelope import CloudEvent, decode, encode, new_event
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.reports.handlers import HANDLERS
from services.reports.main import SPEC
from services.reports.rebuild.service import apply_read_batch, replaying
from tests.reports.produced import (ALERTS_SOURCE, MILESTONES_SOURCE, REGISTRY_SOURCE, Published, alert, node, refed,
                                    status, task)
from tests.reports.stored import read_models as stored


def _unit(model: type[registry.UnitState], unit_id: str, code: str, name: str) -> CloudEvent:
    return new_event(model(id=unit_id, code=code, name=name, kind="town"), subject=unit_id, source=REGISTRY_SOURCE)


def _project(unit: str, index: int) -> Published:
    return Published(id=str(uuid.uuid4()), code=f"R-{index}", name=f"重放项目{index}", year=2026, level="municipal",
                     category="industry", sector="secondary", total_investment=Decimal(10000 * index),
                     annual_plan_investment=Decimal("100"), bracket="1_10yi", responsible_unit_id=unit)


def _round_report(model: type[registry.RoundReportState], round_id: str, project: Published, status_: str
                  ) -> CloudEvent:
    return new_event(model(id=f"{round_id}-{project.id}", round_id=round_id, period="2026-04", project_id=project.id,
                           responsible_unit_id=project.state["responsible_unit_id"], status=status_,
                           investment=Decimal(100), progress="施工中", submitted_on=date(2026, 5, 6), late=True,
                           on=date(2026, 5, 6)), subject=project.id, source=REGISTRY_SOURCE)


def replayed() -> list[CloudEvent]:
    """What a replay reads, in order: facts before their project's registration, a month corrected twice and an older
    correction re-fed after them, a node rescheduled then completed and its older version re-fed, a node a
    regenerated schedule drops and one removed, an alert and a task re-fed older, repeated events, a project moved to
    another unit then archived with a task, one moved to another year, a suspension and its resumption, a unit
    renamed, a parcel and a round."""
    town, other = str(uuid.uuid4()), str(uuid.uuid4())
    a, b, c = _project(town, 1), _project(town, 2), _project(other, 3)
    k1 = {"project_id": a.id, "key": "k1", "planned": date(2026, 4, 5)}
    rescheduled = node(milestones.MilestoneRescheduled, **k1, status_="pending", version=2,
                       previous_planned_date=date(2026, 4, 1), reason="图纸延误")
    completed = node(milestones.MilestoneCompleted, **k1, status_="done_late", actual=date(2026, 4, 9), version=3)
    k3 = node(milestones.MilestonePlanned, a.id, "k3", status_="pending", planned=date(2026, 6, 1), version=1)
    k4 = node(milestones.MilestoneCompleted, c.id, "k4", status_="done_on_time", planned=date(2026, 7, 1),
              actual=date(2026, 6, 30), version=2)
    k4_planned = node(milestones.MilestonePlanned, c.id, "k4", status_="pending", planned=date(2026, 7, 1), version=1)
    march = [a.invested("2026-03", amount) for amount in ("5", "12.5", "14")]
    raised = alert(alerts.AlertRaised, a.id, town, rule="overdue", colour="red", message="节点逾期",
                   raised_on=date(2026, 4, 6))
    opened = task(alerts.TaskOpened, "replayed", town, project_id=a.id, deadline=date(2026, 5, 1), status_="open",
                  opened_on=date(2026, 4, 2))
    red = status(a.id, town, "red", "lagging", date(2026, 4, 6))
    suspension, round_id = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        _unit(registry.UnitCreated, town, "T1", "城关镇"), _unit(registry.UnitCreated, other, "T2", "开发区"),
        status(a.id, town, "yellow", "warning", date(2026, 4, 1)),
        node(milestones.MilestonePlanned, **k1, status_="pending", version=1), march[0], opened,
        a.registered(None), march[1], march[2], refed(march[1]),
        rescheduled, completed,
        node(milestones.MilestonePlanned, a.id, "k2", status_="pending", planned=date(2026, 5, 1), version=1),
        new_event(milestones.ScheduleGenerated(
            project_id=a.id, template="industrial", mode="backward", anchor_date=date(2026, 12, 31),
            milestones=[milestones.MilestoneState.model_validate(e.data) for e in (completed, k3)]),
            subject=a.id, source=MILESTONES_SOURCE),
        refed(rescheduled), a.moved("started", date(2026, 4, 1)), red, red, march[2],
        raised, alert(alerts.AlertResolved, a.id, town, rule="overdue", colour="red", message="节点逾期",
                      raised_on=date(2026, 4, 6), status_="resolved", as_of=date(2026, 4, 20)), refed(raised),
        task(alerts.TaskEscalated, "replayed", town, project_id=a.id, deadline=date(2026, 5, 1), status_="open",
             opened_on=date(2026, 4, 2), escalation_level="unit_head", as_of=date(2026, 5, 2), days_late=1),
        refed(opened),
        new_event(registry.StatisticsStatusChanged(project_id=a.id, responsible_unit_id=town, status="submitted",
                                                   date=date(2026, 4, 10)), subject=a.id, source=REGISTRY_SOURCE),
        new_event(registry.ProjectStartConfirmed(project_id=a.id, responsible_unit_id=town, kind="piling",
                                                 date=date(2026, 4, 12)), subject=a.id, source=REGISTRY_SOURCE),
        b.registered(None), b.invested("2026-02", "30"), b.updated(None, responsible_unit_id=other),
        task(alerts.TaskOpened, "moved", other, project_id=b.id, deadline=date(2026, 6, 1), status_="open",
             opened_on=date(2026, 4, 3)),
        b.archived(date(2026, 4, 30)),
        c.registered(None), c.invested("2026-01", "8"), c.invested("2027-01", "3"),
        task(alerts.TaskOpened, "next-year", other, project_id=c.id, deadline=date(2026, 6, 1), status_="open",
             opened_on=date(2026, 4, 3)),
        c.updated(None, year=2027), _unit(registry.UnitUpdated, town, "T1", "城关街道"),
        c.suspended(date(2026, 5, 1), suspension_id=suspension, reason="funds"),
        c.resumed(date(2026, 5, 20), suspension_id=suspension),
        new_event(registry.ParcelRegistered(id=str(uuid.uuid4()), code="D-1", area_mu=Decimal("12.5"),
                                            start_deadline=date(2026, 9, 1), project_id=a.id, unit_id=town),
                  subject=a.id, source=REGISTRY_SOURCE),
        new_event(registry.ReportingRoundOpened(id=round_id, period="2026-04", year=2026, deadline=date(2026, 5, 5),
                                                opened_on=date(2026, 5, 1)), subject=round_id, source=REGISTRY_SOURCE),
        _round_report(registry.RoundReportSubmitted, round_id, a, "submitted"),
        _round_report(registry.RoundReportApproved, round_id, a, "approved"),
        node(milestones.MilestoneRemoved, a.id, "k3", status_="pending", planned=date(2026, 6, 1), version=2),
        new_event(alerts.ProjectStatusChanged(project_id=c.id, unit_id=other, from_colour="blue", to_colour="yellow",
                                              from_grade="normal", to_grade="warning", as_of=date(2026, 5, 2)),
                  subject=c.id, source=ALERTS_SOURCE),
        k4, refed(k4_planned),
    ]


async def read_models(url: str, events: list[CloudEvent], *, read: int | None) -> dict[str, list[dict]]:
    """Every read model after the events (as `stored.read_models` compares them): replayed in reads of `read` events
    in one transaction, or (None) each applied in its own, an event repeated skipped (the consumer's inbox)."""
    engine = make_engine(url)
    try:
        await upgrade(engine, SPEC.migrations)
        sessionmaker = make_sessionmaker(engine)
        decoded = [decode(encode(event), CATALOG) for event in events]
        if read is None:
            applied = set()
            for event, data in decoded:
                if event.id not in applied:
                    applied.add(event.id)
                    async with sessionmaker() as session, session.begin():
                        await HANDLERS[type(data)](session, event, data)
        else:
            by_type = {model.type: handler for model, handler in HANDLERS.items()}
            async with sessionmaker() as session, session.begin(), replaying(session):
                for at in range(0, len(decoded), read):
                    await apply_read_batch(session, decoded[at:at + read], by_type)
        return await stored(sessionmaker)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("read", [1, 4, 1000])
async def test_a_replay_in_reads_leaves_what_its_events_one_by_one_leave(batched_and_one_by_one, read):
    events = replayed()
    replay = await read_models(batched_and_one_by_one[0], events, read=read)
    one_by_one = await read_models(batched_and_one_by_one[1], events, read=None)
    # what the events leave, so that the replay's equality below says something
    projects = {p["code"]: p for p in one_by_one["project_view"]}
    assert [(p["ytd_investment"], p["year"], p["archived"], p["nodes_total"], p["nodes_done"], p["colour"])
            for p in (projects["R-1"], projects["R-2"], projects["R-3"])] == [
        (Decimal(14), 2026, False, 1, 1, "red"), (Decimal(30), 2026, True, 0, 0, "blue"),
        (Decimal(3), 2027, False, 1, 1, "yellow")]
    assert [(m["period"], m["amount"]) for m in one_by_one["investment_month"]
            if m["project_id"] == projects["R-1"]["id"]] == [("2026-03", Decimal(14))]
    assert sorted((n["key"], n["status"], n["version"]) for n in one_by_one["milestone_view"]) == [
        ("k1", "done_late", 3), ("k4", "done_on_time", 2)]
    assert [a["status"] for a in one_by_one["alert_view"]] == ["resolved"]
    assert sorted((t["title"], t["escalation_level"], t["counted_year"]) for t in one_by_one["task_view"]) == [
        ("督办件moved", "none", None), ("督办件next-year", "none", 2027), ("督办件replayed", "unit_head", 2026)]
    assert [len(one_by_one[t]) for t in ("status_history", "task_history", "statistics_history", "project_moves")] \
        == [3, 4, 1, 2]
    assert [u["name"] for u in one_by_one["unit_view"] if u["code"] == "T1"] == ["城关街道"]
    assert [(r["status"], r["late"]) for r in one_by_one["round_report_view"]] == [("approved", True)]
    assert len(one_by_one["unit_year_cell"]) > 18 and one_by_one["suspension_view"][0]["resumed_on"] is not None
    assert replay == one_by_one

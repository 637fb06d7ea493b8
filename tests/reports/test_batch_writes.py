"""A fetch applied as the live consumer applies it (one transaction, folded in memory by the service's batch scope:
each row and cell written once, at its end) leaves the same read models as its events applied one by one, each in its
own transaction (the consumer's fallback path)."""
import uuid
from datetime import date
from decimal import Decimal

from aiokafka.structs import ConsumerRecord

from contracts import alerts, milestones
from contracts.envelope import CloudEvent, encode, new_event
from kit.consumer import Consumer
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.reports.handlers import CONSUMED_TOPICS, LIVE_HANDLERS
from services.reports.main import SPEC
from services.reports.settings import ReportsSettings
from tests.reports.produced import (ALERTS_SOURCE, MILESTONES_SOURCE, TOPICS, Published, alert, dated, node, refed,
                                    status, task)
from tests.reports.stored import read_models as stored

UNIT, OTHER_UNIT = str(uuid.uuid4()), str(uuid.uuid4())


def project(unit: str, total: str, index: int) -> Published:
    return Published(id=str(uuid.uuid4()), code=f"B-{index}", name=f"批量项目{index}", year=2026, level="municipal",
                     category="industry", sector="secondary", total_investment=Decimal(total),
                     annual_plan_investment=Decimal("100"), bracket="1_10yi", responsible_unit_id=unit)


def fetches() -> list[list[CloudEvent]]:
    """Three fetches of four projects' events, interleaved; later fetches change rows the earlier ones wrote.
    Within a fetch: registrations, a month corrected twice and an older correction re-fed, nodes (planned, then one
    done late, one overdue, one left out by a regenerated schedule, one removed, one whose older version comes after
    its newer), an alert raised then resolved and its raising re-fed, a task's events out of order, a project moved
    to another unit then to another year with a task, one moved to another year and back with a task opened
    between, a task before its project's registration, an event twice.
    Across fetches: an older month, alert and node version re-fed, an event delivered again."""
    a, b, c, d = (project(UNIT, "20000", 1), project(UNIT, "30000", 2), project(OTHER_UNIT, "40000", 3),
                  project(OTHER_UNIT, "50000", 4))
    planned = [node(milestones.MilestonePlanned, a.id, key, status_="pending", planned=date(2026, 4, day))
               for key, day in (("k1", 5), ("k2", 10), ("k3", 20))]
    done_late = node(milestones.MilestoneCompleted, a.id, "k1", status_="done_late", planned=date(2026, 4, 5),
                     actual=date(2026, 4, 8))
    overdue = node(milestones.MilestoneOverdue, a.id, "k2", status_="overdue", planned=date(2026, 4, 10),
                   as_of=date(2026, 4, 12), threshold_days=0)
    k5 = [node(milestones.MilestonePlanned, a.id, "k5", status_="pending", planned=date(2026, 6, day), version=v)
          for day, v in ((1, 1), (10, 2))]
    march = [a.invested("2026-03", amount, date(2026, 4, day)) for amount, day in (("12.5", 5), ("13", 6), ("14", 7))]
    raised, resolved = (dated(alert(model, a.id, UNIT, rule="overdue", colour="red", message="节点逾期",
                                    raised_on=date(2026, 4, 6), **extra), on)
                        for model, on, extra in ((alerts.AlertRaised, date(2026, 4, 6), {}),
                                                 (alerts.AlertResolved, date(2026, 4, 20),
                                                  {"status_": "resolved", "as_of": date(2026, 4, 20)})))
    opened, escalated = (task(model, "batched", UNIT, project_id=a.id, deadline=date(2026, 5, 1), status_="open",
                              opened_on=date(2026, 4, 2), on=on, **extra)
                         for model, on, extra in ((alerts.TaskOpened, date(2026, 4, 2), {}),
                                                  (alerts.TaskEscalated, date(2026, 5, 2),
                                                   {"escalation_level": "unit_head", "as_of": date(2026, 5, 2),
                                                    "days_late": 1})))
    registered = [p.registered(None) for p in (a, b, c)]
    archived = b.archived(None)
    yellow = status(a.id, UNIT, "yellow", "warning", date(2026, 4, 3))
    return [[registered[0], registered[1], march[0], registered[2], *planned, march[1], march[2],
             refed(march[1]), a.moved("started", date(2026, 4, 1)), done_late, raised, resolved, refed(raised)],
            [status(b.id, UNIT, "red", "lagging", date(2026, 4, 2)), archived, escalated, opened, yellow,
             a.invested("2026-04", "7.25", date(2026, 5, 5)),
             task(alerts.TaskOpened, "moving", OTHER_UNIT, project_id=c.id, deadline=date(2026, 6, 1),
                  status_="open", opened_on=date(2026, 4, 3), on=date(2026, 4, 3)),
             c.invested("2026-01", "8", date(2026, 2, 5)), c.invested("2027-01", "3", date(2026, 2, 6)),
             c.updated(None, responsible_unit_id=UNIT), c.updated(None, year=2027), overdue,
             # a node kept earlier in the fetch that the regenerated schedule leaves out goes, as one by one
             node(milestones.MilestonePlanned, a.id, "k4", status_="pending", planned=date(2026, 6, 1)),
             new_event(milestones.ScheduleGenerated(
                 project_id=a.id, template="industrial", mode="backward", anchor_date=date(2026, 12, 31),
                 milestones=[milestones.MilestoneState.model_validate(e.data) for e in (done_late, overdue)]),
                 subject=a.id, source=MILESTONES_SOURCE),
             k5[1], k5[0], node(milestones.MilestoneRemoved, a.id, "k3", status_="pending", planned=date(2026, 4, 20)),
             a.invested("2026-04", "8", date(2026, 5, 6)), a.moved("completed", date(2026, 5, 1))],
            [task(alerts.TaskOpened, "early", OTHER_UNIT, project_id=d.id, deadline=date(2026, 6, 1), status_="open",
                  opened_on=date(2026, 4, 4), on=date(2026, 4, 4)), d.registered(None), refed(march[2]),
             refed(raised), refed(k5[0]), archived, yellow, yellow, c.updated(None, year=2026),
             task(alerts.TaskOpened, "between", UNIT, project_id=c.id, deadline=date(2026, 6, 1), status_="open",
                  opened_on=date(2026, 4, 5), on=date(2026, 4, 5)), c.updated(None, year=2027),
             new_event(alerts.ProjectStatusChanged(project_id=d.id, unit_id=OTHER_UNIT, from_colour="blue",
                                                   to_colour="red", from_grade="normal", to_grade="lagging",
                                                   as_of=date(2026, 5, 2)), subject=d.id, source=ALERTS_SOURCE)]]


async def read_models(url: str, fetched: list[list[CloudEvent]], *, batched: bool) -> dict[str, list[dict]]:
    """Every read model (as `stored.read_models` compares them) after the fetches: each applied by the consumer in
    one transaction within the service's batch scope, or each event in its own."""
    engine = make_engine(url)
    try:
        await upgrade(engine, SPEC.migrations)
        consumer = Consumer(settings=ReportsSettings(database_url=url), sessionmaker=make_sessionmaker(engine),
                            topics=CONSUMED_TOPICS, handlers=LIVE_HANDLERS, batch_scope=SPEC.batch_scope)
        offset = 0
        for events in fetched:
            records = []
            for event in events:
                value = encode(event)
                records.append(ConsumerRecord(topic=TOPICS[event.source], partition=0, offset=offset, timestamp=0,
                                              timestamp_type=0, key=None, value=value, checksum=None,
                                              serialized_key_size=-1, serialized_value_size=len(value), headers=[]))
                offset += 1
            if batched:
                assert await consumer._apply_batch(records), "the fetch fell back to one by one"
            else:
                for record in records:
                    event, data = consumer._decode(record)
                    await consumer._apply(consumer.handlers[event.type], event, data)
        return await stored(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def test_a_fetch_leaves_what_its_events_one_by_one_leave(batched_and_one_by_one):
    fetched = fetches()
    batched = await read_models(batched_and_one_by_one[0], fetched, batched=True)
    one_by_one = await read_models(batched_and_one_by_one[1], fetched, batched=False)
    # what the events leave, so that the fetches' equality below says something
    projects = {p["code"]: p for p in one_by_one["project_view"]}
    # B-1: March corrected to 14 (older corrections re-fed ignored), April 7.25 then 8; k3 removed, k5 planned
    assert [(p["ytd_investment"], p["year"], p["unit_id"], p["archived"], p["nodes_total"], p["nodes_done"],
             p["nodes_late"], p["colour"]) for p in map(projects.get, ("B-1", "B-2", "B-3", "B-4"))] == [
        (Decimal(22), 2026, UNIT, False, 3, 1, 1, "yellow"), (Decimal(0), 2026, UNIT, True, 0, 0, 0, "red"),
        (Decimal(3), 2027, UNIT, False, 0, 0, 0, "blue"), (Decimal(0), 2026, OTHER_UNIT, False, 0, 0, 0, "red")]
    assert [(m["period"], m["amount"]) for m in one_by_one["investment_month"]
            if m["project_id"] == projects["B-1"]["id"]] == [("2026-03", Decimal(14)), ("2026-04", Decimal(8))]
    assert sorted((n["key"], n["status"], n["planned_date"], n["version"]) for n in one_by_one["milestone_view"]) == [
        ("k1", "done_late", date(2026, 4, 5), None), ("k2", "overdue", date(2026, 4, 10), None),
        ("k5", "pending", date(2026, 6, 10), 2)]
    assert [(a["status"], a["resolved_on"]) for a in one_by_one["alert_view"]] == [("resolved", date(2026, 4, 20))]
    assert sorted((t["title"], t["escalation_level"], t["counted_year"]) for t in one_by_one["task_view"]) == [
        ("督办件batched", "unit_head", 2026), ("督办件between", "none", 2027), ("督办件early", "none", 2026),
        ("督办件moving", "none", 2027)]
    assert [(h["date"], h["status"]) for h in one_by_one["task_history"]] == [
        (date(2026, 5, 2), "open"), (date(2026, 4, 3), "open"), (date(2026, 4, 4), "open"), (date(2026, 4, 5), "open")]
    assert [(m["unit_from"], m["year_from"], m["unit_to"], m["year_to"]) for m in one_by_one["project_moves"]] == [
        (OTHER_UNIT, 2026, UNIT, 2026), (UNIT, 2026, UNIT, 2027), (UNIT, 2027, UNIT, 2026), (UNIT, 2026, UNIT, 2027)]
    assert len(one_by_one["status_history"]) == 3 and len(one_by_one["unit_year_cell"]) > 18
    assert batched == one_by_one

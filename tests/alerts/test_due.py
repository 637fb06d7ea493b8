"""The daily scan leaves a project alone until the first day its evaluation may change by the date alone.

Each rule names the first day it may find otherwise (something, another colour, another wording: the days passing
are in the wording, rendered for the day shown); that day is never later than the day it does (checked day by day
against the rule itself), and a scan that leaves projects until their day leaves exactly the alerts, tasks,
statuses and events that a scan of every project leaves, through hand-opened tasks, changed thresholds, reporting
rounds, investment reports and a year's end.
"""
import json
import random
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select, update

from contracts import registry
from contracts.alerts import Colour, percent, year_share
from contracts.envelope import new_event
from kit.auth import ADMIN, Principal
from kit.clock import utcnow
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from kit.tables import outbox
from services.alerts.configuration import service as configuration
from services.alerts.evaluation import scan
from services.alerts.evaluation.due import evaluated_days, grade_changes_from, mark_due
from services.alerts.handlers import FactHandlers
from services.alerts.models import (Alert, MilestoneFact, ParcelFact, ProjectFact, ProjectStatus, RoundReportFact,
                                    ScanRun, Task, Unit)
from services.alerts.rules.definitions import PROJECT_RULES, investment_ratio
from services.alerts.rules.facts import NodeFacts, ProjectFacts, TaskFacts
from services.alerts.rules.status import grade, has_late_node
from services.alerts.settings import AlertsSettings
from services.alerts.tasks import service as tasks
from services.alerts.tasks.schemas import TaskCreate
from tests.support.databases import fresh_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "alerts" / "migrations"
STAGES = ["planning", "signed", "land_supplied", "started", "completed", "in_operation"]


def _near(rng: random.Random, day: date, span: int) -> date:
    return day + timedelta(days=rng.randint(-span, span))


def _facts(rng: random.Random, as_of: date) -> ProjectFacts:
    plan = Decimal(rng.choice([0, 100, 36500]))
    return ProjectFacts(
        id="p", year=as_of.year + rng.choice([-1, 0, 0, 0, 1]), stage=rng.choice(STAGES), name="项目",
        planned_start_date=rng.choice([None, _near(rng, as_of, 60)]), signed_on=_near(rng, as_of, 250),
        land_supplied_on=_near(rng, as_of, 250), started_on=rng.choice([None, _near(rng, as_of, 80)]),
        real_start_date=rng.choice([None, as_of]), statistics_status=rng.choice(["accepted", "submitted"]),
        annual_plan_investment=plan, ytd_investment=plan * rng.randint(0, 150) / 100,
        ytd_year=as_of.year + rng.choice([-1, 0, 0]), government_funded=rng.random() < 0.3,
        overrun_ratio=rng.choice([None, Decimal("-0.1"), Decimal("0.05"), Decimal("0.3")]),
        nodes=tuple(NodeFacts("节点", _near(rng, as_of, 40), rng.random() < 0.5) for _ in range(rng.randint(0, 3))),
        tasks=tuple(TaskFacts("督办", _near(rng, as_of, 30), rng.choice(["open", "feedback_submitted"]),
                              rng.random() < 0.2) for _ in range(rng.randint(0, 2))),
        unreported_rounds=tuple((f"{as_of.year}-0{k + 1}", as_of - timedelta(days=rng.randint(1, 20)))
                                for k in range(rng.randint(0, 2))))


def test_no_rule_finds_otherwise_nor_does_a_grade_change_before_the_day_it_names():
    """What a rule finds (nothing, or a colour and a wording) holds until the day `changes_from` names, so the scan
    may leave the project until then; and as worded, it reads for each of those days what the rule says that day."""
    rng = random.Random(20261204)
    left_a_week = checked = found_some = 0
    for _ in range(600):
        as_of = date(2026, 12, 1) + timedelta(days=rng.randint(0, 430))  # across two year ends
        facts = _facts(rng, as_of)
        for rule in PROJECT_RULES:
            limits = rule.thresholds(**({"grace_days": rng.choice([0, 31])} if rule.name == "investment_lag" else {}))
            found = rule.check(facts, limits, as_of)
            first = rule.changes_from(facts, limits, as_of)
            assert first is None or first > as_of, (rule.name, facts, as_of, first)
            checked += 1
            found_some += found is not None
            left_a_week += first is None or first > as_of + timedelta(days=7)
            for k in range(1, 400):
                day = as_of + timedelta(days=k)
                if first is not None and day >= first:
                    break
                later = rule.check(facts, limits, day)
                assert later == found, (rule.name, facts, as_of, first, day)
                if found is not None and rule.name == "investment_lag":  # its rates, worded once, for the day
                    assert f"时间进度 {percent(year_share(day))}，完成进度比 {float(investment_ratio(facts, day)):.2f}" \
                        in found.message(day), (facts, day)
        faster = Decimal(rng.choice(["1.1", "0.9"]))
        graded = grade(Colour.blue, ratio=investment_ratio(facts, as_of), late_node=has_late_node(facts, as_of),
                       faster_ratio=faster)
        first = grade_changes_from(facts, as_of, faster)
        for k in range(1, 400):
            day = as_of + timedelta(days=k)
            if first is not None and day >= first:
                break
            assert grade(Colour.blue, ratio=investment_ratio(facts, day), late_node=has_late_node(facts, day),
                         faster_ratio=faster) == graded, (facts, as_of, first, day)
    assert left_a_week > checked // 2 and found_some > checked // 10  # the days named are not merely "tomorrow"


# ---- a scan that leaves projects until their day against a scan of every project ------------------------------

START = date(2027, 6, 1)
UNIT = "8f1f7b5e-0000-4000-8000-000000000001"


def _project(k: int, rng: random.Random) -> dict:
    """A project whose rules come due over the weeks scanned: starts, stalls, nodes, investment falling behind; every
    other one on schedule for weeks (started, in the statistics, investment ahead) until a threshold comes."""
    stage = rng.choice(STAGES[:4])
    plan = Decimal(rng.choice([0, 3650, 36500]))
    year = rng.choice([2027, 2027, 2027, 2028])
    # every seventh entered in the days before the first scan: capped at yellow for its first week, no task in its
    # first fortnight (a red alert gets its task the day the fortnight ends)
    entered = START - timedelta(days=k % 12) if k % 7 == 3 else date(2027, 1, 5)
    if k % 2 == 0:
        return {**_project(k + 1, rng), "stage": "started", "started_on": _near(rng, START, 25),
                "real_start_date": rng.choice([None, START]), "statistics_status": "accepted",
                "annual_plan_investment": Decimal(36500), "ytd_investment": Decimal(rng.randint(14000, 40000)),
                "year": 2027, "code": f"D{k:04d}", "name": f"项目{k}"}
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))), "code": f"D{k:04d}", "name": f"项目{k}", "year": year,
        "unit_id": UNIT, "lead_leader": "包联领导", "stage": stage, "planned_start_date": _near(rng, START, 40),
        "planned_completion_date": None, "signed_on": _near(rng, START - timedelta(days=120), 60),
        "land_supplied_on": _near(rng, START - timedelta(days=120), 60),
        "started_on": _near(rng, START - timedelta(days=20), 20) if stage == "started" else None,
        "completed_on": None, "real_start_date": None if rng.random() < 0.5 else START,
        "statistics_status": rng.choice(["accepted", "submitted"]), "annual_plan_investment": plan,
        "ytd_investment": plan * rng.randint(30, 100) / 100, "ytd_year": 2027, "government_funded": False,
        "budget": None, "approved_adjustments": None, "spent_to_date": None, "overrun_ratio": None,
        "archived": False, "version": 1, "registered_on": entered, "listed_on": entered,
        "suspended_on": START if k % 29 == 0 else None, "evaluated_on": None, "updated_at": utcnow(),
    }


async def _seed(sessionmaker) -> list[str]:
    rng = random.Random(7)
    rows = [_project(k, rng) for k in range(150)]
    nodes = [{"id": str(uuid.UUID(int=rng.getrandbits(128))), "project_id": row["id"], "key": f"n{n}", "name": "施工许可",
              "planned_date": _near(rng, START + timedelta(days=10), 20), "actual_date": None, "critical": n == 0,
              "updated_at": utcnow()} for k, row in enumerate(rows) if k % 3 == 0 for n in range(2)]
    async with sessionmaker() as session:
        await session.execute(insert(Unit), [{"id": UNIT, "code": "DU", "name": "城关镇", "kind": "town",
                                              "parent_id": None}])
        await session.execute(insert(ProjectFact), rows)
        await session.execute(insert(MilestoneFact), nodes)
        await session.commit()
    return [row["id"] for row in rows]


async def _quiet(sessionmaker, day: date) -> list[str]:
    """Projects the last scan left until after the day a change below takes effect (they are scanned until +39)."""
    async with sessionmaker() as session:
        return list((await session.scalars(select(ProjectFact.id).where(
            ProjectFact.due_on > START + timedelta(days=36), ProjectFact.suspended_on.is_(None))
            .order_by(ProjectFact.id))).all())


async def _change(sessionmaker, url: str, day: date, ids: list[str], quiet: list[str]) -> None:
    """What the office and the other services do on some days, the same in both databases."""
    admin = Principal(subject="office", scopes=frozenset({ADMIN}), unit_id=None)
    handlers = FactHandlers(AlertsSettings(database_url=url, fixed_today=day, daily_scan=False))
    async with sessionmaker() as session:
        if day == START + timedelta(days=20):  # tasks by hand on quiet projects: late (task_late) within the weeks
            assert len(quiet) >= 5
            for project_id in quiet[:5]:
                await tasks.open_task(session=session, principal=admin, today=day, task_in=TaskCreate(
                    title="补齐审批材料", project_id=project_id, deadline=day))
        if day == START + timedelta(days=9):  # the office shortens the stalled-stage thresholds
            await configuration.update(session=session, name="signed_without_land", enabled=None, opens_task=None,
                                       thresholds={"yellow_over_days": 30, "red_over_days": 60}, note="从严",
                                       actor="office", admitted_versions=None)
        if day == START + timedelta(days=11):  # the rule marking projects that miss a monthly round
            await configuration.update(session=session, name="round_not_reported", enabled=True, opens_task=None,
                                       thresholds=None, note=None, actor="office", admitted_versions=None)
        if day == START + timedelta(days=13):  # the round, opened after the projects were last evaluated
            assert quiet
            await handlers.on_round_opened(session, None, registry.ReportingRoundOpened(
                id=str(uuid.UUID(int=1)), period="2027-06", year=2027, deadline=day + timedelta(days=5),
                opened_on=day))
            await session.execute(insert(RoundReportFact), [  # most report in time
                {"round_id": str(uuid.UUID(int=1)), "project_id": project_id, "status": "submitted", "late": False}
                for project_id in ids if project_id not in quiet[:3] and int(project_id[:2], 16) % 5])
        if day == START + timedelta(days=15):  # investment reported: evaluated by the event, due to the scan
            for project_id in ids[2:60:5]:
                report = registry.InvestmentReported(
                    project_id=project_id, responsible_unit_id=UNIT, period="2027-06", year=2027, amount=Decimal(1),
                    ytd_investment=Decimal(1), cumulative_investment=Decimal(1), annual_plan_investment=Decimal(3650))
                await handlers.on_investment(session, new_event(report, subject=project_id, source="/tests/registry"),
                                             report)
        if day == START + timedelta(days=22):  # a parcel of a quiet project, idle from the day after its deadline
            assert quiet
            await session.execute(insert(ParcelFact).values(
                id=str(uuid.UUID(int=2)), code="G-1", unit_id=UNIT, project_id=quiet[-1], location=None,
                start_deadline=day + timedelta(days=3), started_date=None, evaluated_on=None, updated_at=utcnow()))
        await session.commit()


async def _state(sessionmaker) -> dict:
    async with sessionmaker() as session:
        alerts = sorted((await session.execute(select(
            Alert.subject_id, Alert.rule, Alert.colour, Alert.message, Alert.wording, Alert.status, Alert.raised_on,
            Alert.escalated_on, Alert.resolved_on, Alert.as_of))).tuples().all(), key=str)
        opened = sorted((await session.execute(select(
            Task.project_id, Task.rule, Task.title, Task.deadline, Task.status, Task.escalation_level,
            Task.resolvable, Task.opened_on))).tuples().all(), key=str)
        statuses = sorted((await session.execute(select(
            ProjectStatus.project_id, ProjectStatus.colour, ProjectStatus.grade, ProjectStatus.changed_on)))
                          .tuples().all())
        published = Counter()
        for type_, key, body in (await session.execute(select(outbox.c.type, outbox.c.key, outbox.c.body))).all():
            data = json.loads(body)["data"]
            published[(type_, key, data.get("message") or data.get("to_colour"), data.get("as_of"))] += 1
        evaluated = sorted((await evaluated_days(session, list(await session.scalars(select(ProjectFact.id)))))
                           .items())
    return {"alerts": alerts, "tasks": opened, "statuses": statuses, "published": published, "evaluated": evaluated}


async def test_a_scan_leaving_projects_until_their_day_finds_what_a_scan_of_every_project_finds(tmp_path):
    days = [START + timedelta(days=k) for k in range(40)] + [date(2027, 12, 30), date(2027, 12, 31),
                                                            date(2028, 1, 1), date(2028, 1, 2), date(2028, 2, 3)]
    engines, sessionmakers, ids = [], [], []
    try:
        for name in ("leaving", "every"):
            url = fresh_database(f"due_{name}", tmp_path)
            engines.append(make_engine(url))
            await upgrade(engines[-1], MIGRATIONS)
            sessionmakers.append(make_sessionmaker(engines[-1]))
            ids = await _seed(sessionmakers[-1])
        leaving, every = sessionmakers
        left = 0
        for day in days:
            quiet = await _quiet(leaving, day)
            for sessionmaker, engine in zip(sessionmakers, engines):
                await _change(sessionmaker, str(engine.url), day, ids, quiet)
            async with every() as session:  # no project is left: each is due
                await session.execute(update(ProjectFact).values(due_on=None))
                await session.commit()
            summary = await scan.run(sessionmaker=leaving, as_of=day, trigger="test")
            await scan.run(sessionmaker=every, as_of=day, trigger="test")
            left += summary.get("projects_not_due", 0)
            assert await _state(leaving) == await _state(every), f"the scans for {day} differ"
        async with leaving() as session:
            assert await session.scalar(select(func.count()).select_from(Alert)) > 100
            assert await session.scalar(select(func.count()).select_from(Task).where(Task.rule == "task_late")) == 0
            assert await session.scalar(select(func.count()).select_from(Alert).where(Alert.rule == "task_late")) > 0
            assert await session.scalar(select(func.count()).select_from(Alert).where(
                Alert.rule == "round_not_reported")) > 0
            assert await session.scalar(select(func.count()).select_from(Alert).where(Alert.rule == "idle_parcel")) == 1
        assert left > len(ids) * len(days) // 10  # projects were left, and found all the same
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_project_left_by_scans_was_evaluated_for_their_days_even_once_made_due_again(tmp_path):
    """A scan does not rewrite the projects it leaves: the day each was last evaluated for comes from the scans that
    finished while its evaluation held; making it due again (a changed rule) keeps that day."""
    engine = make_engine(fresh_database("due_days", tmp_path))
    try:
        await upgrade(engine, MIGRATIONS)
        sessionmaker = make_sessionmaker(engine)
        ids = await _seed(sessionmaker)
        first, held, later = ids[:3]
        async with sessionmaker() as session:
            await session.execute(update(ProjectFact).values(evaluated_on=START, due_on=START + timedelta(days=10)))
            await session.execute(update(ProjectFact).where(ProjectFact.id == held).values(
                due_on=START + timedelta(days=3)))
            await session.execute(update(ProjectFact).where(ProjectFact.id == later).values(
                evaluated_on=START + timedelta(days=8)))
            for day, finished in ((4, True), (5, True), (6, False)):  # the scan of the 6th did not finish
                session.add(ScanRun(as_of=START + timedelta(days=day), trigger="test", started_at=utcnow(),
                                    finished_at=utcnow() if finished else None, counts={}))
            await session.commit()
            expected = {first: START + timedelta(days=5), held: START, later: START + timedelta(days=8)}
            assert await evaluated_days(session, [first, held, later]) == expected
            await mark_due(session, ProjectFact.id.in_([first, held, later]))
            await session.commit()
            assert await evaluated_days(session, [first, held, later]) == expected
            assert set(await session.scalars(select(ProjectFact.due_on).where(
                ProjectFact.id.in_([first, held, later])))) == {None}
    finally:
        await engine.dispose()


async def test_a_scan_for_an_earlier_day_run_after_a_later_one_evaluates_for_its_own_day(tmp_path):
    """A backfill: the scan of the 20th has run, then the office scans the 10th. What the 10th's scan evaluates is
    evaluated for the 10th (the 20th's scan, which ran before, did not leave it), and the 20th evaluates it again."""
    engine = make_engine(fresh_database("due_backfill", tmp_path))
    try:
        await upgrade(engine, MIGRATIONS)
        sessionmaker = make_sessionmaker(engine)
        ids = await _seed(sessionmaker)
        later, earlier = START + timedelta(days=20), START + timedelta(days=10)
        await scan.run(sessionmaker=sessionmaker, as_of=later, trigger="test")
        await scan.run(sessionmaker=sessionmaker, as_of=earlier, trigger="test")
        async with sessionmaker() as session:
            days = await evaluated_days(session, ids)
            due = dict((await session.execute(select(ProjectFact.id, ProjectFact.due_on))).tuples().all())
        assert set(days.values()) == {earlier}
        assert all(due[p] <= later for p in ids)
        again = await scan.run(sessionmaker=sessionmaker, as_of=later, trigger="test")
        assert again.get("projects_not_due", 0) == 0
        async with sessionmaker() as session:
            assert set((await evaluated_days(session, ids)).values()) == {later}
    finally:
        await engine.dispose()

"""A fetch applied in one transaction (the consumer's batch path with `per_fetch`: the facts rows read at once, kept
loaded and written together before each wave of evaluations) leaves the same facts, alerts, statuses and events as
its events applied one by one, each in its own transaction: the same events about each project in the same order
(another project's may come between them in another order: a wave evaluates its projects together)."""
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from contracts import milestones, registry, topics
from kit.consumer import Consumer
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from kit.tables import outbox
from services.alerts.handlers import FactHandlers
from services.alerts.models import Alert, ProjectFact, ProjectStatus
from services.alerts.settings import AlertsSettings
from tests.alerts.facts import event, milestone, project, stage_changed, unit
from tests.support.fetches import apply

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "alerts" / "migrations"
TODAY = date(2027, 6, 1)


def investment(state: registry.ProjectState, ytd: str, *, at: datetime | None = None):
    data = registry.InvestmentReported(
        project_id=state.id, responsible_unit_id=state.responsible_unit_id, period="2027-05", year=2027,
        amount=Decimal(ytd), ytd_investment=Decimal(ytd), cumulative_investment=Decimal(ytd),
        annual_plan_investment=Decimal(3650))
    reported = event(data, state.id)
    return reported.model_copy(update={"time": at}) if at else reported


def fetches() -> list[list]:
    """A project registered, reported, moved on and over budget within one fetch; an investment before its
    project's registration; a node overdue, then done; a correction, and an older one re-fed after it."""
    town = unit()
    a = project(town.id, planned_start_date="2027-04-01", annual_plan_investment="3650")
    b = project(town.id, stage="started", stage_dates={"started": "2027-03-01"})
    c = project(town.id, planned_start_date="2027-07-01")
    node = milestone(milestones.MilestonePlanned, b.id, planned_date="2027-05-01", critical=True)
    older = datetime.now(timezone.utc) - timedelta(days=1)  # staged before every other event here
    return [
        [event(town, town.id), event(a, a.id), investment(a, "100"), investment(b, "20"), event(b, b.id),
         event(registry.StatisticsStatusChanged(project_id=b.id, responsible_unit_id=town.id, status="submitted",
                                                date=TODAY - timedelta(days=3)), b.id),
         event(stage_changed(a, "signed", "2027-05-20"), a.id),
         event(registry.BudgetChanged(project_id=a.id, responsible_unit_id=town.id, budget=Decimal(1000),
                                      approved_adjustments=Decimal(0), spent_to_date=Decimal(1300),
                                      overrun_ratio=Decimal("0.3"), adjustment_approved=False), a.id),
         event(node, b.id)],
        [investment(a, "3000"), investment(a, "50", at=older),
         event(milestone(milestones.MilestoneCompleted, b.id, id=node.id, planned_date="2027-05-01",
                         actual_date="2027-05-30", status="done_late", version=2), b.id),
         event(registry.ProjectStartConfirmed(project_id=b.id, responsible_unit_id=town.id, kind="piling",
                                              date=date(2027, 3, 10)), b.id),
         event(c, c.id), investment(c, "10")],
    ]


async def state(url: str, fetched: list[list], *, batched: bool) -> dict:
    engine = make_engine(url)
    try:
        await upgrade(engine, MIGRATIONS)
        sessionmaker = make_sessionmaker(engine)
        settings = AlertsSettings(database_url=url, daily_scan=False, fixed_today=TODAY)
        facts = FactHandlers(settings)
        consumer = Consumer(settings=settings, sessionmaker=sessionmaker, topics=[], handlers=facts.handlers(),
                            batch_scope=facts.per_fetch)
        await apply(consumer, fetched, batched=batched, topic=lambda e: topics.MILESTONES if e.type.startswith(
            "keyproject.milestones.") else topics.REGISTRY)
        async with sessionmaker() as session:
            columns = [c for c in ProjectFact.__table__.columns if c.key != "updated_at"]
            facts_rows = sorted((await session.execute(select(*columns))).tuples().all(), key=str)
            alerts = sorted((await session.execute(select(
                Alert.subject_id, Alert.rule, Alert.colour, Alert.message, Alert.status, Alert.raised_on,
                Alert.resolved_on))).tuples().all(), key=str)
            statuses = sorted((await session.execute(select(
                ProjectStatus.project_id, ProjectStatus.colour, ProjectStatus.grade))).tuples().all())
            published: dict[str, list] = {}  # in order per key (one project's events stay in order on the topic)
            for type_, key, body in (await session.execute(select(outbox.c.type, outbox.c.key, outbox.c.body)
                                                           .order_by(outbox.c.id))).all():
                data = json.loads(body)["data"]
                published.setdefault(key, []).append((type_, data.get("rule"), data.get("colour") or
                                                      data.get("to_colour"), data.get("message")))
        return {"facts": facts_rows, "alerts": alerts, "statuses": statuses, "published": published}
    finally:
        await engine.dispose()


async def test_a_fetch_applied_at_once_leaves_what_its_events_leave_one_by_one(batched_and_one_by_one):
    fetched = fetches()
    batched, one_by_one = batched_and_one_by_one
    together = await state(batched, fetched, batched=True)
    apart = await state(one_by_one, fetched, batched=False)
    assert together == apart
    facts = {row[0]: row for row in together["facts"]}
    assert len(facts) == 3 and all(row.version >= 1 for row in together["facts"])
    ytd = {row.id: row.ytd_investment for row in together["facts"]}
    assert sorted(ytd.values()) == [Decimal(10), Decimal(20), Decimal(3000)]  # the older sum re-fed changed nothing
    rules = {(rule, colour) for _, rule, colour, *_ in together["alerts"]}
    assert {("budget_overrun", "red"), ("node_overdue", "red")} <= rules
    assert any(status == "resolved" for *_, status, _, _ in together["alerts"])  # the node done in the 2nd fetch

"""A producer that re-feeds a broker which lost its log may deliver an event after a newer one of the same thing
(`make chaos` found it): reports keeps the newest - a node's highest version, a month's latest event - and a project
registered after its investments sums them."""
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from contracts import topics
from contracts.envelope import new_event
from contracts.milestones import MilestoneCompleted, MilestonePlanned
from contracts.registry import InvestmentReported
from tests.support.api import eventually
from tests.support.factories import project_registered
from tests.support.kafka import produce_events

REGISTRY, MILESTONES = "/keyproject/registry", "/keyproject/milestones"


def _at(event, seconds: int):
    """The event as if its producer had staged it `seconds` after now."""
    return event.model_copy(update={"time": datetime.now(timezone.utc) + timedelta(seconds=seconds)})


async def test_newer_facts_delivered_first_stand(platform, reports):
    registered = project_registered("unit-reordered", annual_plan_investment=Decimal("1200"), year=2026)
    pid = registered.subject
    state = registered.data

    def month(amount: str, seconds: int):
        data = InvestmentReported(project_id=pid, responsible_unit_id="unit-reordered", period="2026-03", year=2026,
                                  amount=Decimal(amount), ytd_investment=Decimal(amount),
                                  cumulative_investment=Decimal(amount), annual_plan_investment=Decimal("1200"))
        return _at(new_event(data, subject=pid, source=REGISTRY), seconds)

    node = {"id": str(uuid.uuid4()), "project_id": pid, "key": "started", "name": "开工", "planned_date": date(2026, 4, 1),
            "baseline_date": date(2026, 4, 1)}
    completed = new_event(MilestoneCompleted(**node, actual_date=date(2026, 3, 30), status="done_on_time", version=2),
                          subject=pid, source=MILESTONES)
    planned = new_event(MilestonePlanned(**node, status="pending", version=1), subject=pid, source=MILESTONES)

    # newest first: the month's correction, then the project itself, then the amount it corrected
    await produce_events(platform.broker.bootstrap, topics.REGISTRY, [month("300", 5), registered, month("100", 0)])
    await produce_events(platform.broker.bootstrap, topics.MILESTONES, [completed, planned])

    async def settled():
        listed = (await reports.get("/api/v1/projects", params={"q": state["code"]})).json()["items"]
        return bool(listed) and listed[0]["nodes_total"] == 1 and Decimal(listed[0]["ytd_investment"]) > 0

    await eventually(settled, timeout=60, what="the reordered events applied")
    [project] = (await reports.get("/api/v1/projects", params={"q": state["code"]})).json()["items"]
    assert Decimal(project["ytd_investment"]) == 300  # the newer amount, summed when the project arrived
    assert (project["nodes_done"], project["nodes_done_on_time"]) == (1, 1)  # version 2 stands over version 1

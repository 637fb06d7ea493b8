"""A producer that re-feeds a broker which lost its log may deliver an event after a newer one of the same thing
(`make chaos` found it): reports keeps the newest - a node's highest version, a month's latest event - and a project
registered after its investments sums them."""
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from contracts import topics
from contracts.alerts import TaskOpened
from contracts.envelope import new_event
from contracts.milestones import MilestoneCompleted, MilestonePlanned
from contracts.registry import InvestmentReported
from tests.reports import produced
from tests.support.api import eventually
from tests.support.factories import project_registered
from tests.support.kafka import produce_events
from tests.support.metrics import metric

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


async def test_a_task_counts_under_its_projects_year_whenever_either_arrives_and_as_the_project_changes(platform,
                                                                                                       reports):
    """A year's live task counts read each task's counted year (its project's, while the project counts): a task
    that arrives before its project counts once the project does, and follows the project to another year or off
    the list."""
    unit = f"unit-counted-{uuid.uuid4().hex[:8]}"
    state = project_registered(unit, year=2077).data
    project = produced.Published(**{k: v for k, v in state.items() if k not in ("version", "stage", "stage_dates",
                                                                               "archived")})
    tasks = [produced.task(TaskOpened, f"{project.id}-{n}", unit, project_id=project.id, deadline=deadline,
                           status_="open", opened_on=date(2026, 1, 5)) for n, deadline in
             enumerate((date(2026, 1, 10), date(2099, 12, 31)))]
    url = platform.url("reports")
    opened = await metric(url, "kp_events_consumed_total", service="reports", type=TaskOpened.type)
    await produced.produce(platform.broker.bootstrap, tasks)

    async def tasks_applied():
        return await metric(url, "kp_events_consumed_total", service="reports", type=TaskOpened.type) >= opened + 2

    await eventually(tasks_applied, timeout=60, what="the tasks applied before their project")

    async def counts(year: int) -> tuple[int, int]:
        body = (await reports.get("/api/v1/overview", params={"year": year})).json()
        return body["open_tasks"], body["late_tasks"]

    assert await counts(2077) == (0, 0)  # no project yet: the tasks count nowhere
    for event, expected in ((project.registered(None), {2077: (2, 1), 2078: (0, 0)}),
                            (project.updated(None, year=2078), {2077: (0, 0), 2078: (2, 1)}),
                            (project.archived(None), {2077: (0, 0), 2078: (0, 0)})):
        await produced.produce(platform.broker.bootstrap, [event])

        async def counted():
            return {year: await counts(year) for year in expected} == expected

        await eventually(counted, timeout=60, what=f"the tasks counted as {expected}")

"""The milestones' and alerts' events, as those services would publish them, produced by the tests themselves; and
the registry's events of projects registered in the past (the registry publishes at the time of the request)."""
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from contracts import alerts, milestones, registry
from contracts.envelope import CloudEvent, new_event
from tests.support.kafka import produce_events

MILESTONES_SOURCE = "/keyproject/milestones"
ALERTS_SOURCE = "/keyproject/alerts"
REGISTRY_SOURCE = "/keyproject/registry"
TOPICS = {MILESTONES_SOURCE: "keyproject.milestones", ALERTS_SOURCE: "keyproject.alerts",
          REGISTRY_SOURCE: "keyproject.registry"}
ZONE = ZoneInfo("Asia/Shanghai")


def dated(event: CloudEvent, on: date | None) -> CloudEvent:
    """The event as published on `on` (at noon in the deployment's time zone); as published now when None."""
    return event if on is None else event.model_copy(update={"time": datetime.combine(on, time(12), ZONE)})


def refed(event: CloudEvent) -> CloudEvent:
    """An earlier event of the same state, staged an hour before `event` and delivered after it (as a producer
    re-feeding a broker that lost its log may deliver it)."""
    return event.model_copy(update={"id": str(uuid.uuid4()), "time": event.time - timedelta(hours=1)})


def _id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def status(project_id: str, unit_id: str, colour: str, grade: str, as_of: date, *, before=("blue", "normal")
           ) -> CloudEvent:
    return new_event(alerts.ProjectStatusChanged(
        project_id=project_id, unit_id=unit_id, from_colour=before[0], to_colour=colour, from_grade=before[1],
        to_grade=grade, as_of=as_of), subject=project_id, source=ALERTS_SOURCE)


def alert(model: type[alerts.AlertState], project_id: str, unit_id: str, *, rule: str, colour: str, message: str,
          raised_on: date, status_: str = "active", as_of: date | None = None, **extra) -> CloudEvent:
    return new_event(model(id=_id(project_id, rule), project_id=project_id, unit_id=unit_id, rule=rule,
                           colour=colour, message=message, status=status_, raised_on=raised_on,
                           as_of=as_of or raised_on, **extra), subject=project_id, source=ALERTS_SOURCE)


def node(model: type[milestones.MilestoneState], project_id: str, key: str, *, status_: str, planned: date,
         actual: date | None = None, **extra) -> CloudEvent:
    days_late = max(0, ((actual or planned) - planned).days)
    return new_event(model(id=_id(project_id, key), project_id=project_id, key=key, name=f"节点{key}",
                           planned_date=planned, baseline_date=planned, actual_date=actual, status=status_,
                           days_late=days_late, **extra), subject=project_id, source=MILESTONES_SOURCE)


def task(model: type[alerts.TaskState], task_key: str, unit_id: str, *, project_id: str | None, deadline: date,
         status_: str, opened_on: date, closed_on: date | None = None, on: date | None = None, **extra) -> CloudEvent:
    return dated(new_event(model(id=_id("task", task_key), project_id=project_id, unit_id=unit_id,
                                 title=f"督办件{task_key}", deadline=deadline, status=status_, source="alert",
                                 opened_on=opened_on, closed_on=closed_on, **extra),
                           subject=project_id or unit_id, source=ALERTS_SOURCE), on)


class Published:
    """A project as the registry publishes it: every event the whole state with the next version, each dated `on`
    (None: now)."""

    def __init__(self, **state):
        self.state = {"version": 0, "stage": registry.Stage.planning, "stage_dates": {}, "archived": False, **state}
        self.months: dict[str, Decimal] = {}

    @property
    def id(self) -> str:
        return self.state["id"]

    def _event(self, data, on: date | None) -> CloudEvent:
        return dated(new_event(data, subject=self.id, source=REGISTRY_SOURCE), on)

    def _state(self, model: type[registry.ProjectState], on: date | None, **extra) -> CloudEvent:
        self.state["version"] += 1
        return self._event(model(**self.state, **extra), on)

    def registered(self, on: date | None) -> CloudEvent:
        return self._state(registry.ProjectRegistered, on)

    def moved(self, stage: str, on: date) -> CloudEvent:
        """Forward to `stage` on `on`, dating any stage skipped on the same day (as the registry does)."""
        order, before = list(registry.Stage), registry.Stage(self.state["stage"])
        for skipped in order[order.index(before) + 1: order.index(registry.Stage(stage)) + 1]:
            self.state["stage_dates"][skipped] = on
        self.state["stage"] = stage
        return self._state(registry.ProjectStageChanged, on, from_stage=before, to_stage=stage, date=on)

    def updated(self, on: date | None, **changes) -> CloudEvent:
        self.state.update(changes)
        return self._state(registry.ProjectUpdated, on, changed=sorted(changes))

    def archived(self, on: date | None) -> CloudEvent:
        self.state["archived"] = True
        return self._state(registry.ProjectArchived, on)

    def suspended(self, on: date, *, suspension_id: str, reason: str) -> CloudEvent:
        self.state["suspended_on"] = on
        return self._state(registry.ProjectSuspended, on, suspension_id=suspension_id, reason=reason)

    def resumed(self, on: date, *, suspension_id: str) -> CloudEvent:
        paused_from, self.state["suspended_on"] = self.state["suspended_on"], None
        return self._state(registry.ProjectResumed, on, suspension_id=suspension_id, paused_from=paused_from,
                           resumed_on=on, paused_days=(on - paused_from).days)

    def invested(self, period: str, amount: str, on: date | None = None) -> CloudEvent:
        previous, self.months[period] = self.months.get(period), Decimal(amount)
        return self._event(registry.InvestmentReported(
            project_id=self.id, responsible_unit_id=self.state["responsible_unit_id"], period=period,
            year=int(period[:4]), amount=amount, previous_amount=previous,
            ytd_investment=sum(v for p, v in self.months.items() if p[:4] == period[:4]),
            cumulative_investment=sum(self.months.values()),
            annual_plan_investment=self.state["annual_plan_investment"]), on)


async def produce(bootstrap: str, events: list[CloudEvent]) -> None:
    """Produce events onto their producer's topic, keyed by subject (one project's events in order)."""
    by_topic: dict[str, list[CloudEvent]] = {}
    for event in events:
        by_topic.setdefault(TOPICS[event.source], []).append(event)
    for topic, batch in by_topic.items():
        await produce_events(bootstrap, topic, batch)

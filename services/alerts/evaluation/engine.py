"""The rule engine at work: evaluate a batch of projects or parcels as of a date, and write what changed in bulk.

Reading is set-based (a handful of queries per batch), the rules are pure, and writing is bulk inserts and
updates plus one outbox insert; so an event evaluates one project and the daily scan thousands at a time
with the same code. Project rows are locked (PostgreSQL) so an event and the scan never evaluate the same
project at once.
"""
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import alerts as contract
from contracts.alerts import AlertStatus, Colour, EscalationLevel, Grade, TaskSource, TaskStatus, message_on
from contracts.types import month_end
from kit.clock import utcnow
from kit.db import one_of
from services.alerts import events
from services.alerts.configuration.service import Configuration
from services.alerts.evaluation.due import NEVER, is_due, next_due
from services.alerts.models import (Alert, AlertChange, MilestoneFact, ParcelFact, ProjectFact, ProjectStatus,
                                    ReportingRoundFact, RoundReportFact, ScanRun, Task, TaskChange, Unit)
from services.alerts.rules.definitions import PROJECT_RULES, RULES, earliest, investment_ratio
from services.alerts.rules.escalation import escalated_to, level_due, steps_to
from services.alerts.rules.facts import NodeFacts, ParcelFacts, ProjectFacts, TaskFacts
from services.alerts.rules.status import Active, Step, grade, has_late_node, reconcile, worst

ACTOR = "rules"
ROUND_NOT_REPORTED = "round_not_reported"
IDLE_PARCEL = "idle_parcel"


# The day evaluated is read by statements, never from loaded rows (the consumer's handlers expire it after an
# evaluation): matching the loaded rows against an UPDATE's criteria in Python is not needed.
_UNSYNCHRONIZED = {"synchronize_session": False}


def _columns(model) -> list:
    return list(model.__table__.columns)


# Only what evaluation reads: fewer columns (no timestamps) make a 100,000-project scan noticeably cheaper.
# The first 15 in the order of ProjectFacts' fields, so facts are built positionally.
FACT_COLUMNS = [ProjectFact.id, ProjectFact.year, ProjectFact.stage, ProjectFact.name,
                ProjectFact.planned_start_date, ProjectFact.signed_on, ProjectFact.land_supplied_on,
                ProjectFact.started_on, ProjectFact.real_start_date, ProjectFact.statistics_status,
                ProjectFact.annual_plan_investment, ProjectFact.ytd_investment, ProjectFact.ytd_year,
                ProjectFact.government_funded, ProjectFact.overrun_ratio,
                ProjectFact.unit_id, ProjectFact.archived, ProjectFact.version, ProjectFact.registered_on,
                ProjectFact.suspended_on, ProjectFact.listed_on, ProjectFact.evaluated_on, ProjectFact.due_on]
_FACT_FIELDS = 15
ALERT_COLUMNS = [Alert.id, Alert.subject_id, Alert.project_id, Alert.parcel_id, Alert.unit_id, Alert.rule,
                 Alert.colour, Alert.message, Alert.wording, Alert.status, Alert.escalated_to, Alert.raised_on,
                 Alert.as_of]
# What the rules read and what task events carry (a task reused by a new red alert is announced).
TASK_COLUMNS = [Task.subject_id, *(getattr(Task, name) for name in events.TASK_FIELDS)]
STATUS_COLUMNS = [ProjectStatus.project_id, ProjectStatus.unit_id, ProjectStatus.colour, ProjectStatus.grade,
                  ProjectStatus.changed_on]


def _facts(row: Any, nodes, tasks, unreported=()) -> ProjectFacts:
    """project_facts for a row of FACT_COLUMNS (the scan's hot path)."""
    return ProjectFacts(*row[:_FACT_FIELDS],
                        tuple(NodeFacts(n.name, n.planned_date, n.critical) for n in nodes) if nodes else (),
                        tuple(TaskFacts(t.title, t.deadline, t.status, t.resolvable) for t in tasks) if tasks else (),
                        unreported)


def project_facts(row: Any, nodes: list[Any], tasks: list[Any]) -> ProjectFacts:
    """The pure facts of one project from its row, its open nodes and its unclosed tasks."""
    return ProjectFacts(
        id=row.id, year=row.year, stage=row.stage, name=row.name, planned_start_date=row.planned_start_date,
        signed_on=row.signed_on, land_supplied_on=row.land_supplied_on, started_on=row.started_on,
        real_start_date=row.real_start_date, statistics_status=row.statistics_status,
        annual_plan_investment=row.annual_plan_investment, ytd_investment=row.ytd_investment,
        ytd_year=row.ytd_year, government_funded=row.government_funded, overrun_ratio=row.overrun_ratio,
        nodes=tuple(NodeFacts(n.name, n.planned_date, n.critical) for n in nodes),
        tasks=tuple(TaskFacts(t.title, t.deadline, t.status, t.resolvable) for t in tasks))


def _newly_entered(findings: dict, entered: date, entry_days: int) -> dict:
    """A project entered only days ago: what had passed before it was entered is a warning to enter the facts, not
    a red that holds its unit to account (yet)."""
    capped = {}
    for rule, finding in findings.items():
        if finding is not None and finding.colour == Colour.red:
            finding = finding._replace(colour=Colour.yellow, escalated_to=None, wording=(
                f"{finding.wording}（{entered} 登记入库，{entry_days} 天内请补录实际进展）"))
        capped[rule] = finding
    return capped


@dataclass
class Subject:
    """Who an alert is about and who answers for it."""

    id: str
    project_id: str | None
    parcel_id: str | None
    unit_id: str
    name: str


@dataclass
class Evaluation:
    """One unit of work: evaluations as of one date with one configuration, written by `flush()`."""

    session: AsyncSession
    configuration: Configuration
    as_of: date
    # Tasks come from the colour a project holds at the daily evaluation (the scan), not from every intermediate
    # state an event leaves (a half-finished data entry): only an evaluation that opens tasks opens new ones.
    opens_tasks: bool = False
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self._now = utcnow()
        self._faster_ratio = self.configuration.thresholds("investment_lag").faster_ratio
        self._events: list[tuple[Any, str]] = []
        self._new_alerts: list[dict] = []
        self._alert_updates: dict[str, dict] = {}
        self._alert_changes: list[dict] = []
        self._new_tasks: list[dict] = []
        self._task_updates: dict[str, dict] = {}
        self._task_changes: list[dict] = []
        self._new_statuses: list[dict] = []
        self._status_updates: list[dict] = []
        self._resolved_alerts: list[str] = []
        self._open_alert_tasks: dict[tuple[str, str], dict] = {}
        self._entered: dict[str, date] = {}  # project id -> the day it was entered (when known)
        self._rounds: list | None = None  # reporting rounds past their deadline, read once
        self._next_round: date | None = None  # the day after the next round deadline to come
        # the scan's projects whose evaluation changed something: their facts as read, and the other day ahead
        self._settling: dict[str, tuple[ProjectFacts, dict, date | None, date | None]] = {}
        self._checks: list = []  # the scan's enabled (rule, thresholds) pairs
        self._later_scan: date | None = None  # the first day after this one already scanned, read once

    # ---- projects ---------------------------------------------------------------------------------------------

    async def projects(self, ids: list[str]) -> None:
        """Evaluate these projects: project rules against their facts, then colour and grade."""
        if not ids:
            return
        rows = (await self.session.execute(select(*FACT_COLUMNS).where(one_of(self.session, ProjectFact.id, ids))
                                           .order_by(ProjectFact.id).with_for_update())).all()
        await self._projects([r for r in rows if r.version > 0], span=False)

    async def next_projects(self, *, after: str, limit: int) -> str | None:
        """Of the next `limit` registered, unarchived projects by id after `after` (a scan batch), evaluate those due
        (`due.is_due`); the others are as evaluated for this day too, once the scan has finished. Returns the last
        id."""
        keys = (await self.session.execute(
            select(ProjectFact.id, ProjectFact.evaluated_on, ProjectFact.due_on).where(
                ProjectFact.id > after, ProjectFact.archived.is_(False), ProjectFact.version > 0)
            .order_by(ProjectFact.id).limit(limit))).all()
        if not keys:
            return None
        due = [k.id for k in keys if is_due(k.evaluated_on, k.due_on, self.as_of)]
        if due:
            # most of the batch: its related rows are read by id range, cheaper than a long IN list
            span = 2 * len(due) >= len(keys)
            rows = (await self.session.execute(select(*FACT_COLUMNS).where(
                ProjectFact.id.between(due[0], due[-1]) if span else one_of(self.session, ProjectFact.id, due))
                .order_by(ProjectFact.id).with_for_update())).all()
            wanted = set(due)
            await self._projects([r for r in rows if r.id in wanted] if span else rows, span=span)
        if len(due) < len(keys):  # left as they are (due.evaluated_days)
            self.counts["projects_not_due"] += len(keys) - len(due)
        return keys[-1].id

    async def _projects(self, rows: list[Any], *, span: bool) -> None:
        """`span`: the rows are every project from the first id to the last, so related rows are selected by
        range, which is cheaper than a long IN list."""
        if not rows:
            return
        session = self.session
        ids = [r.id for r in rows]

        def of(column):
            return column.between(ids[0], ids[-1]) if span else one_of(session, column, ids)

        nodes: dict[str, list] = {}
        for node in (await session.execute(select(MilestoneFact.project_id, MilestoneFact.name,
                                                  MilestoneFact.planned_date, MilestoneFact.critical)
                                           .where(of(MilestoneFact.project_id),
                                                  MilestoneFact.actual_date.is_(None)))).all():
            nodes.setdefault(node.project_id, []).append(node)
        tasks: dict[str, list] = {}
        for task in (await session.execute(select(*TASK_COLUMNS).where(
                of(Task.project_id), Task.status != TaskStatus.closed))).all():
            tasks.setdefault(task.project_id, []).append(task)
            if task.source == TaskSource.alert and task.subject_id and task.rule:
                self._open_alert_tasks[(task.subject_id, task.rule)] = task._asdict()
        alerts: dict[str, list] = {}
        for alert in (await session.execute(select(*ALERT_COLUMNS).where(
                of(Alert.project_id), Alert.active_key.is_not(None)))).all():
            alerts.setdefault(alert.project_id, []).append(alert)
        statuses = {s.project_id: s for s in (await session.execute(select(*STATUS_COLUMNS).where(
            of(ProjectStatus.project_id)))).all()}

        as_of = self.as_of
        checks = [(rule, self.configuration.thresholds(rule.name)) for rule in PROJECT_RULES
                  if self.configuration.enabled(rule.name)]
        unreported = await self._unreported(rows, of) if self.configuration.enabled(ROUND_NOT_REPORTED) else {}
        entry_days, grace_days = self.configuration.tasks.entry_days, self.configuration.tasks.grace_days
        due: dict[str, date] = {}  # the scan's: the day each project must next be evaluated
        if self.opens_tasks and self._later_scan is None:
            # A scan for an earlier day run after a later one (a backfill): what it evaluates is due again on the
            # later day, which must not count as having left it (`due.evaluated_days`).
            self._later_scan = await session.scalar(select(func.min(ScanRun.as_of)).where(
                ScanRun.finished_at.is_not(None), ScanRun.as_of > as_of)) or NEVER
        for row in rows:
            if row.suspended_on is not None and not row.archived:
                # 停工: its alerts stay as they were (no colour gets worse, no task opens or escalates), graded 暂停
                current = statuses.get(row.id)
                self._status(row, None, Colour(current.colour) if current else Colour.blue, current,
                             new_grade=Grade.suspended)
                due[row.id] = self._later_scan
                continue
            facts = _facts(row, nodes.get(row.id), tasks.get(row.id), unreported.get(row.id, ()))
            subject = Subject(row.id, row.id, None, row.unit_id, row.name)
            found = alerts.get(row.id, ())
            own = {a.rule: a for a in found if a.subject_id == row.id}
            findings = {} if row.archived else self._findings(facts, checks, row.registered_on)
            days_ahead = [self._next_round, self._later_scan]  # days that concern it beyond its rules
            if row.registered_on is not None:
                self._entered[row.id] = row.registered_on
                if as_of < row.registered_on + timedelta(days=entry_days):
                    days_ahead.append(row.registered_on + timedelta(days=entry_days))  # its reds no longer capped
                if as_of < row.registered_on + timedelta(days=grace_days):
                    days_ahead.append(row.registered_on + timedelta(days=grace_days))  # its red gets its task
            events_before = len(self._events)
            colours = self._apply(subject, findings, own)
            colours += [a.colour for a in found if a.subject_id != row.id]
            if row.archived:
                if row.id in statuses:
                    await session.execute(delete(ProjectStatus).where(ProjectStatus.project_id == row.id))
                continue
            self._status(row, facts, worst(colours), statuses.get(row.id))
            if not self.opens_tasks:
                continue
            if len(self._events) != events_before:  # its tasks changed too: its day is reckoned from them at flush
                self._settling[row.id] = (facts, findings, row.registered_on, earliest(days_ahead))
            else:
                due[row.id] = next_due(facts, checks, as_of, faster_ratio=self._faster_ratio,
                                       also=earliest(days_ahead))
        self.counts["projects"] += len(rows)
        if self.opens_tasks:
            self._checks = checks
            await update_by_id(session, ProjectFact, [
                {"id": row.id, "evaluated_on": as_of, "due_on": due[row.id]} for row in rows
                if row.id in due and (row.evaluated_on, row.due_on) != (as_of, due[row.id])])
            return
        # an event's evaluation opens no task: the next scan evaluates the project whatever its day
        await session.execute(update(ProjectFact).where(
            of(ProjectFact.id), or_(ProjectFact.evaluated_on.is_(None), ProjectFact.evaluated_on != as_of,
                                    ProjectFact.due_on.is_(None), ProjectFact.due_on != as_of))
            .values(evaluated_on=as_of, due_on=as_of), execution_options=_UNSYNCHRONIZED)

    async def _unreported(self, rows: list[Any], of) -> dict[str, tuple[tuple[str, date], ...]]:
        """Per project, the reporting rounds past their deadline it was due in (on the list of the round's year by
        the month's end) and has not reported."""
        if self._rounds is None:
            self._rounds = (await self.session.execute(
                select(ReportingRoundFact.id, ReportingRoundFact.period, ReportingRoundFact.year,
                       ReportingRoundFact.deadline).where(ReportingRoundFact.deadline < self.as_of)
                .order_by(ReportingRoundFact.period))).all()
            coming = await self.session.scalar(select(func.min(ReportingRoundFact.deadline)).where(
                ReportingRoundFact.deadline >= self.as_of))
            self._next_round = coming + timedelta(days=1) if coming else None
        if not self._rounds:
            return {}
        reported = set((await self.session.execute(select(RoundReportFact.round_id, RoundReportFact.project_id).where(
            of(RoundReportFact.project_id), RoundReportFact.round_id.in_([r.id for r in self._rounds])))).tuples())
        found = {}
        for row in rows:
            due = tuple((r.period, r.deadline) for r in self._rounds
                        if r.year == row.year and (r.id, row.id) not in reported
                        and (row.listed_on or row.registered_on or date.min) <= month_end(r.period))
            if due:
                found[row.id] = due
        return found

    def _status(self, row: Any, facts: ProjectFacts | None, colour: Colour, current: Any,
                new_grade: Grade | None = None) -> None:
        """Colour and grade of the project (`new_grade` when it is decided already); an event when either changes,
        and on its first evaluation (from blue / normal), so consumers rate a project that is normal from the start."""
        if new_grade is None and colour == Colour.blue:  # only a blue project's grade needs the ratio and the nodes
            new_grade = grade(colour, ratio=investment_ratio(facts, self.as_of),
                              late_node=has_late_node(facts, self.as_of), faster_ratio=self._faster_ratio)
        elif new_grade is None:
            new_grade = Grade.lagging if colour == Colour.red else Grade.warning
        before_colour = current.colour if current else Colour.blue
        before_grade = current.grade if current else Grade.normal
        if current is not None and (before_colour, before_grade, current.unit_id) == (colour, new_grade, row.unit_id):
            return
        values = {"project_id": row.id, "unit_id": row.unit_id, "colour": colour.value, "grade": new_grade.value,
                  "changed_on": self.as_of, "updated_at": self._now}
        if current is None:
            self._new_statuses.append(values)
        else:
            if (before_colour, before_grade) == (colour, new_grade):
                values["changed_on"] = current.changed_on
            self._status_updates.append(values)
        if current is None or (before_colour, before_grade) != (colour, new_grade):
            self.counts["status_changed"] += 1
            self._events.append((contract.ProjectStatusChanged(
                project_id=row.id, unit_id=row.unit_id, from_colour=Colour(before_colour), to_colour=colour,
                from_grade=Grade(before_grade), to_grade=new_grade, as_of=self.as_of), row.id))

    # ---- parcels ----------------------------------------------------------------------------------------------

    async def parcels(self, ids: list[str]) -> set[str]:
        """Evaluate the idle-parcel rule for these parcels; the projects whose colour may have changed are returned."""
        if not ids:
            return set()
        session = self.session
        rows = (await session.execute(select(*_columns(ParcelFact)).where(ParcelFact.id.in_(ids))
                                      .order_by(ParcelFact.id).with_for_update())).all()
        ids = [r.id for r in rows]
        alerts = {a.subject_id: a for a in (await session.execute(select(*ALERT_COLUMNS).where(
            Alert.subject_id.in_(ids), Alert.rule == IDLE_PARCEL, Alert.active_key.is_not(None)))).all()}
        for task in (await session.execute(select(*TASK_COLUMNS).where(
                Task.subject_id.in_(ids), Task.rule == IDLE_PARCEL, Task.status != TaskStatus.closed))).all():
            self._open_alert_tasks[(task.subject_id, task.rule)] = task._asdict()
        enabled = self.configuration.enabled(IDLE_PARCEL)
        limits = self.configuration.thresholds(IDLE_PARCEL)
        touched: set[str] = set()
        for row in rows:
            facts = ParcelFacts(row.id, row.code, row.start_deadline, row.started_date)
            finding = RULES[IDLE_PARCEL].check(facts, limits, self.as_of) if enabled else None
            alert = alerts.get(row.id)
            subject = Subject(row.id, row.project_id, row.id, row.unit_id, f"地块 {row.code}")
            if alert is not None and (alert.project_id, alert.unit_id) != (row.project_id, row.unit_id):
                # The parcel was linked to another project or unit: its alert follows it.
                self._update_alert(alert.id, {"project_id": row.project_id, "unit_id": row.unit_id})
                touched.update(p for p in (alert.project_id, row.project_id) if p)
            before = len(self._events)
            self._apply(subject, {IDLE_PARCEL: finding}, {IDLE_PARCEL: alert} if alert else {})
            if len(self._events) != before and row.project_id:
                touched.add(row.project_id)
        self.counts["parcels"] += len(rows)
        await session.execute(update(ParcelFact).where(ParcelFact.id.in_(ids)).values(evaluated_on=self.as_of),
                              execution_options=_UNSYNCHRONIZED)
        return touched

    # ---- alerts -----------------------------------------------------------------------------------------------

    def _apply(self, subject: Subject, findings: dict, current: dict[str, Any]) -> list[Colour]:
        """Reconcile one subject's alerts with the findings; the colours of its alerts active afterwards."""
        if not current and not any(findings.values()):
            return []  # the common case: nothing found, nothing active
        active = {rule: Active(a.id, rule, a.colour, a.wording) for rule, a in current.items()}
        steps = reconcile(findings, active)
        for step in steps:
            getattr(self, f"_{step.action}")(subject, step, current.get(step.rule))
        if self.opens_tasks:  # an alert that stayed red since an event raised it gets its task now
            changed = {step.rule for step in steps if step.action != "refresh"}
            for rule, alert in current.items():
                if rule not in changed and alert.colour == Colour.red and (subject.id, rule) not in \
                        self._open_alert_tasks:
                    self._open_task(subject, rule, alert._asdict())
        colours = {rule: a.colour for rule, a in current.items()}
        for step in steps:
            if step.action == "resolve":
                colours.pop(step.rule, None)
            else:
                colours[step.rule] = step.finding.colour
        for rule, alert in current.items():
            if alert.unit_id != subject.unit_id and rule in colours:
                self._update_alert(alert.id, {"unit_id": subject.unit_id})
        return list(colours.values())

    def _raise(self, subject: Subject, step: Step, _current: Any) -> None:
        finding = step.finding
        alert = {
            "id": str(uuid.uuid4()), "subject_id": subject.id, "project_id": subject.project_id,
            "parcel_id": subject.parcel_id, "unit_id": subject.unit_id, "rule": step.rule,
            "colour": finding.colour.value, "message": finding.message(self.as_of), "wording": finding.wording,
            "status": AlertStatus.active.value,
            "escalated_to": finding.escalated_to, "active_key": f"{subject.id}|{step.rule}",
            "raised_on": self.as_of, "escalated_on": None, "resolved_on": None, "as_of": self.as_of,
            "acknowledged_by": None, "acknowledged_at": None, "acknowledgement_note": None,
            "created_at": self._now, "updated_at": self._now,
        }
        self._new_alerts.append(alert)
        self._change(alert["id"], "raised", finding.colour, alert["message"])
        self._events.append((contract.AlertRaised.model_validate(events.alert_state(alert)), events.alert_subject(alert)))
        self.counts["raised"] += 1
        if finding.colour == Colour.red:
            self._open_task(subject, step.rule, alert)

    def _escalate(self, subject: Subject, step: Step, current: Any) -> None:
        finding = step.finding
        changes = {"colour": finding.colour.value, "message": finding.message(self.as_of), "wording": finding.wording,
                   "status": AlertStatus.active.value, "escalated_on": self.as_of,
                   "escalated_to": finding.escalated_to, "as_of": self.as_of}
        alert = self._update_alert(current.id, changes, current)
        self._change(current.id, "escalated", finding.colour, alert["message"])
        self._events.append((contract.AlertEscalated.model_validate(events.alert_state(alert)),
                             events.alert_subject(alert)))
        self.counts["escalated"] += 1
        self._open_task(subject, step.rule, alert)

    def _downgrade(self, subject: Subject, step: Step, current: Any) -> None:
        """Red → yellow: the red alert is resolved (its task becomes resolvable) and a yellow one raised."""
        self._resolve(subject, Step("resolve", step.rule, None, step.alert), current, note="降为黄色预警")
        self._raise(subject, Step("raise", step.rule, step.finding), None)

    def _refresh(self, _subject: Subject, step: Step, current: Any) -> None:
        """Same colour, another reason or fact (the overdue node, the rate completed): announced, so every reader
        shows the alert's current reason (the days passing are in its wording, and not announced)."""
        alert = self._update_alert(current.id, {"message": step.finding.message(self.as_of),
                                                "wording": step.finding.wording,
                                                "escalated_to": step.finding.escalated_to, "as_of": self.as_of},
                                   current)
        self._events.append((contract.AlertUpdated.model_validate(events.alert_state(alert)),
                             events.alert_subject(alert)))
        self.counts["refreshed"] += 1

    def _resolve(self, _subject: Subject, step: Step, current: Any, note: str | None = None) -> None:
        message = message_on(current.wording, current.message, current.as_of, self.as_of)
        alert = self._update_alert(current.id, {"status": AlertStatus.resolved.value, "active_key": None,
                                                "resolved_on": self.as_of, "as_of": self.as_of, "message": message},
                                   current)
        self._change(current.id, "resolved", Colour(current.colour), message, note=note)
        self._events.append((contract.AlertResolved.model_validate(events.alert_state(alert)),
                             events.alert_subject(alert)))
        self._resolved_alerts.append(current.id)
        self.counts["resolved"] += 1

    def _update_alert(self, alert_id: str, changes: dict, current: Any = None) -> dict:
        pending = self._alert_updates.setdefault(alert_id, {"id": alert_id})
        pending.update(changes, updated_at=self._now)
        return {**(current._asdict() if current is not None else {}), **pending}

    def _change(self, alert_id: str, action: str, colour: Colour, message: str, note: str | None = None) -> None:
        self._alert_changes.append({"alert_id": alert_id, "action": action, "colour": colour.value,
                                    "message": message, "as_of": self.as_of, "actor": ACTOR, "note": note,
                                    "at": self._now})

    # ---- tasks ------------------------------------------------------------------------------------------------

    def _open_task(self, subject: Subject, rule: str, alert: dict) -> None:
        """A red alert hands its case to the responsible unit, reusing the unclosed task of an earlier red one."""
        if not self.configuration.opens_task(rule):
            return
        existing = self._open_alert_tasks.get((subject.id, rule))
        if existing is None and not self._may_open_task(subject):
            return
        message = message_on(alert["wording"], alert["message"], alert["as_of"], self.as_of)
        if existing is not None:
            was_resolvable = existing["resolvable"]
            changes = {"alert_id": alert["id"], "resolvable": False, "description": message}
            self._task_updates.setdefault(existing["id"], {"id": existing["id"]}).update(changes, updated_at=self._now)
            existing.update(changes)
            self._task_change(existing, "alert_red_again", message)
            if was_resolvable:
                self._resolvable_changed(existing)
            return
        task = {
            "id": str(uuid.uuid4()), "project_id": subject.project_id, "subject_id": subject.id,
            "unit_id": subject.unit_id, "title": f"{subject.name}：{RULES[rule].title}", "description": message,
            "deadline": self.as_of + timedelta(days=self.configuration.tasks.deadline_days),
            "status": TaskStatus.open.value, "escalation_level": EscalationLevel.none.value, "escalated_on": None,
            "source": TaskSource.alert.value, "alert_id": alert["id"], "rule": rule, "problem_id": None,
            "problem_type": None, "resolvable": False, "on_hold": False, "opened_on": self.as_of, "closed_on": None,
            "feedback": None, "verification_note": None, "return_reason": None, "opened_by": ACTOR,
            "created_at": self._now, "updated_at": self._now,
        }
        self._new_tasks.append(task)
        self._open_alert_tasks[(subject.id, rule)] = task
        self._task_change(task, "opened", message)
        self._events.append((contract.TaskOpened.model_validate(events.task_state(task)), events.task_subject(task)))
        self.counts["tasks_opened"] += 1

    def _may_open_task(self, subject: Subject) -> bool:
        """A new task only at the daily evaluation, and not within the grace period of a project entered lately."""
        if not self.opens_tasks:
            return False
        entered = self._entered.get(subject.project_id) if subject.project_id else None
        return entered is None or self.as_of >= entered + timedelta(days=self.configuration.tasks.grace_days)

    def _resolvable_changed(self, task: dict) -> None:
        """Announce the task's new `resolvable` flag: consumers count an open task late only while it is false."""
        state = {**events.task_state(task), "as_of": self.as_of}
        self._events.append((contract.TaskResolvableChanged.model_validate(state), events.task_subject(task)))

    def _task_change(self, task: dict, action: str, note: str | None) -> None:
        self._task_changes.append({"task_id": task["id"], "action": action, "status": task["status"],
                                   "escalation_level": task["escalation_level"], "note": note, "as_of": self.as_of,
                                   "actor": ACTOR, "at": self._now})

    async def escalate_tasks(self, tasks: list[Any]) -> None:
        """Move late tasks up the ladder as of the date: one TaskEscalated per rung climbed, never back down."""
        if not self.configuration.escalation_enabled or not tasks:
            return
        ladder = self.configuration.tasks
        climbing = [(t, steps_to(t.escalation_level, level_due(t.deadline, self.as_of, ladder))) for t in tasks]
        climbing = [(t, steps) for t, steps in climbing if steps]
        if not climbing:
            return
        units = {u.id: u.name for u in (await self.session.execute(select(Unit.id, Unit.name).where(
            Unit.id.in_({t.unit_id for t, _ in climbing})))).all()}
        leaders = {p.id: p.lead_leader for p in (await self.session.execute(
            select(ProjectFact.id, ProjectFact.lead_leader).where(
                ProjectFact.id.in_({t.project_id for t, _ in climbing if t.project_id})))).all()}
        for task, steps in climbing:
            values = task._asdict()
            for level in steps:
                values.update(escalation_level=level.value, escalated_on=self.as_of)
                to = escalated_to(level, unit_name=units.get(task.unit_id), lead_leader=leaders.get(task.project_id))
                self._task_change(values, "escalated", to)
                self._events.append((contract.TaskEscalated.model_validate({
                    **events.task_state(values), "as_of": self.as_of, "days_late": (self.as_of - task.deadline).days,
                    "escalated_to": to}), events.task_subject(values)))
                self.counts[f"escalated_{level.value}"] += 1
            self._task_updates.setdefault(task.id, {"id": task.id}).update(
                escalation_level=values["escalation_level"], escalated_on=self.as_of, updated_at=self._now)

    # ---- writing ----------------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write everything collected, in bulk, with its events; the caller commits."""
        session = self.session
        if self._resolved_alerts:
            await self._mark_resolvable()
        # Updates first: a downgraded alert gives up its active key before its yellow successor takes it.
        if self._alert_updates:
            await update_by_id(session, Alert, list(self._alert_updates.values()))
        if self._new_alerts:
            await session.execute(insert(Alert), self._new_alerts)
        if self._alert_changes:
            await session.execute(insert(AlertChange), self._alert_changes)
        if self._new_tasks:
            await session.execute(insert(Task), self._new_tasks)
        if self._task_updates:
            await update_by_id(session, Task, list(self._task_updates.values()))
        if self._task_changes:
            await session.execute(insert(TaskChange), self._task_changes)
        if self._new_statuses:
            await session.execute(insert(ProjectStatus), self._new_statuses)
        if self._status_updates:
            await update_by_id(session, ProjectStatus, self._status_updates, key="project_id")
        if self._settling:
            await self._settle()
        await events.publish(session, self._events)
        self.counts["events"] += len(self._events)
        self.__post_init__()

    def _findings(self, facts: ProjectFacts, checks: list, registered_on: date | None) -> dict:
        """Each enabled rule's finding, a newly entered project's reds capped."""
        findings = {rule.name: rule.check(facts, limits, self.as_of) for rule, limits in checks}
        entry_days = self.configuration.tasks.entry_days
        if registered_on is not None and self.as_of < registered_on + timedelta(days=entry_days):
            return _newly_entered(findings, registered_on, entry_days)
        return findings

    async def _settle(self) -> None:
        """The next day of the projects whose evaluation changed something, reckoned from their tasks as written (a
        task opened today, another made resolvable): tomorrow if the rules find otherwise with them, else the day
        they may."""
        tasks: dict[str, list] = {}
        for task in (await self.session.execute(select(Task.project_id, Task.title, Task.deadline, Task.status,
                                                       Task.resolvable).where(
                one_of(self.session, Task.project_id, list(self._settling)), Task.status != TaskStatus.closed))).all():
            tasks.setdefault(task.project_id, []).append(TaskFacts(task.title, task.deadline, task.status,
                                                                   task.resolvable))
        tomorrow, days = self.as_of + timedelta(days=1), []
        for project_id, (facts, findings, registered_on, also) in self._settling.items():
            facts = replace(facts, tasks=tuple(tasks.get(project_id, ())))
            settled = self._findings(facts, self._checks, registered_on) == findings
            days.append({"id": project_id, "evaluated_on": self.as_of, "due_on": next_due(
                facts, self._checks, self.as_of, faster_ratio=self._faster_ratio, also=also) if settled else tomorrow})
        await update_by_id(self.session, ProjectFact, days)

    async def _mark_resolvable(self) -> None:
        """Tasks whose alert has cleared wait only for the supervisor's verification (销号)."""
        rows = (await self.session.execute(select(*_columns(Task)).where(
            one_of(self.session, Task.alert_id, self._resolved_alerts), Task.status != TaskStatus.closed,
            Task.resolvable.is_(False)))).all()
        for row in rows:
            if row.id in self._task_updates and self._task_updates[row.id].get("alert_id") not in (None, row.alert_id):
                continue  # already handed to a newer red alert in this same evaluation
            pending = self._task_updates.setdefault(row.id, {"id": row.id})
            pending.update(resolvable=True, updated_at=self._now)
            values = {**row._asdict(), **pending}
            self._task_change(values, "resolvable", "告警已解除，待核验销号")
            self._resolvable_changed(values)
            self.counts["tasks_resolvable"] += 1


async def update_by_id(session: AsyncSession, model, rows: list[dict], key: str = "id") -> None:
    """Bulk UPDATE by primary key, per distinct set of columns; on PostgreSQL a large group is one statement over
    unnest()ed arrays (a daily scan marks tens of thousands of projects evaluated), elsewhere executemany."""
    table = model.__table__
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    postgresql = session.bind.dialect.name == "postgresql"
    for columns, group in groups.items():
        if postgresql and len(group) >= 20:
            await session.execute(_unnest_update(table, key, columns),
                                  {f"_{c}": [row[c] for row in group] for c in columns})
            continue
        statement = update(table).where(table.c[key] == bindparam(f"_{key}")).values(
            {c: bindparam(f"_{c}") for c in columns if c != key})
        await session.execute(statement, [{f"_{k}": v for k, v in row.items()} for row in group])


def _unnest_update(table, key: str, columns: tuple[str, ...]):
    """UPDATE t SET c = g.c ... FROM unnest(:_c1, :_c2, ...) AS g(c1, c2, ...) WHERE t.key = g.key."""
    names = ", ".join(columns)
    arrays = ", ".join(f":_{c}" for c in columns)
    assignments = ", ".join(f"{c} = g.{c}" for c in columns if c != key)
    statement = text(f"UPDATE {table.name} AS t SET {assignments} FROM unnest({arrays}) AS g({names}) "
                     f"WHERE t.{key} = g.{key}")
    return statement.bindparams(*(bindparam(f"_{c}", type_=postgresql.ARRAY(table.c[c].type)) for c in columns))

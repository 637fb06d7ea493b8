"""The fixture cities: what they hold (specs the tests compute their expectations from, independently of reports)
and how they are built: this year's registry facts through the registry's real API; lists of past years as the
registry's events dated when they happened (figures as of a past date count only the projects registered by then);
colours, nodes and tasks as the milestones and alerts services' events."""
import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from contracts import alerts, milestones
from contracts.envelope import new_event
from contracts.registry import ReportingRoundOpened, RoundReportSubmitted
from tests.reports import produced
from tests.support.api import eventually
from tests.support.clock import TODAY
from tests.support.factories import code

YEAR = TODAY.year
LAST_YEAR = YEAR - 1
JAN1 = date(YEAR, 1, 1)
FIRST_MONTH = f"{YEAR}-01"

CITY_REPORTS_ENV = {"KP_AUTO_SNAPSHOTS": "false", "KP_METRICS_REFRESH_SECONDS": "1", "KP_BOARD_REFRESH_SECONDS": "5",
                    "KP_TARGET_RATE": "0.70"}
SLOW = 240.0  # seconds to wait for the event-driven side on a loaded machine

CATEGORIES = ["industry", "manufacturing", "services", "agriculture", "infrastructure", "social"]
LEVELS = ["national", "provincial", "municipal", "district"]
SECTOR_OF = {"industry": "secondary", "manufacturing": "secondary", "services": "tertiary",
             "agriculture": "primary", "infrastructure": "tertiary", "social": "tertiary"}
STARTED = {"started", "completed", "in_operation"}
COMPLETED = {"completed", "in_operation"}
COLOUR_OF_GRADE = {"faster": "blue", "normal": "blue", "warning": "yellow", "lagging": "red"}


def bracket_of(total: Decimal) -> str:
    if total >= 500_000:
        return "ge_50yi"
    if total >= 100_000:
        return "10_50yi"
    return "1_10yi" if total >= 10_000 else "lt_1yi"


@dataclass
class UnitSpec:
    key: str
    name: str
    kind: str
    count: int
    started: int  # started or completed
    completed: int
    plan: Decimal  # the annual plan, all on the unit's first project
    ytd: Decimal  # reported for the first month, on the first project
    grades: dict[str, int]  # projects graded by the alerts service, in this order
    nodes: list[str] = field(default_factory=list)  # statuses of the first project's nodes
    id: str = ""


@dataclass
class ProjectSpec:
    unit: UnitSpec
    index: int
    total: Decimal
    plan: Decimal
    ytd: Decimal
    category: str
    level: str
    stage: str
    real_start: bool
    grade: str | None
    statistics: str = "not_submitted"
    id: str = ""
    code: str = ""

    @property
    def sector(self) -> str:
        return SECTOR_OF[self.category]

    @property
    def colour(self) -> str:
        return COLOUR_OF_GRADE[self.grade] if self.grade else "blue"


MAIN_UNITS = [
    UnitSpec("T1", "城关镇", "town", 20, 10, 3, Decimal("20000"), Decimal("1000.000001"),
             {"lagging": 2, "warning": 3, "normal": 8}, ["done_on_time", "done_on_time", "done_late", "overdue"]),
    UnitSpec("T2", "东城街道", "street", 12, 6, 1, Decimal("4000"), Decimal("200"),
             {"warning": 2, "faster": 1, "normal": 5}),
    UnitSpec("T3", "西山镇", "town", 20, 15, 4, Decimal("30000"), Decimal("24000"),
             {"warning": 1, "faster": 2, "normal": 10}, ["done_on_time", "done_on_time", "done_on_time", "pending"]),
    UnitSpec("T4", "南湖镇", "town", 10, 2, 0, Decimal("6000"), Decimal("60"),
             {"lagging": 3, "warning": 3, "normal": 3}),
    UnitSpec("D1", "发改局", "department", 24, 14, 2, Decimal("50000"), Decimal("5000"),
             {"lagging": 1, "warning": 3, "faster": 1, "normal": 10}, ["overdue", "overdue", "done_late"]),
    UnitSpec("D2", "工信局", "department", 18, 12, 2, Decimal("40000"), Decimal("3600"),
             {"lagging": 2, "warning": 2, "normal": 8}),
    UnitSpec("D3", "住建局", "department", 12, 7, 1, Decimal("12000"), Decimal("6000"),
             {"warning": 2, "normal": 4}),
]
GE_50_FIRST = {"D1", "D2"}  # first project of 60 亿
TEN_50_SECOND = {"T1", "T3", "D1", "D2", "D3"}  # second project of 20 亿
LT_1 = {"T1": 3, "T2": 3, "T3": 4, "T4": 3, "D1": 4, "D2": 4, "D3": 3}  # projects under 1 亿 after those
IN_OPERATION = {("T3", 0)}
STATISTICS = {("T3", 0): "accepted", ("T3", 1): "accepted", ("T3", 3): "accepted", ("T3", 4): "submitted",
              ("D1", 0): "rejected"}
# Supervision tasks: (unit, key, deadline, final status)
TASKS = [("T1", "a", date(LAST_YEAR, 12, 1), "open"), ("T1", "b", date(YEAR + 1, 6, 30), "feedback_submitted"),
         ("D2", "c", date(LAST_YEAR, 12, 15), "escalated"), ("T3", "d", date(LAST_YEAR, 12, 10), "closed")]


def main_projects() -> list[ProjectSpec]:
    projects, position = [], 0
    for unit in MAIN_UNITS:
        graded = [grade for grade, n in unit.grades.items() for _ in range(n)]
        lt_start = 2 if unit.key in TEN_50_SECOND else 1
        started_seen = 0
        for i in range(unit.count):
            if i == 0:
                total = Decimal(600_000) if unit.key in GE_50_FIRST else Decimal(200_000)
            elif i == 1 and unit.key in TEN_50_SECOND:
                total = Decimal(200_000)
            elif lt_start <= i < lt_start + LT_1[unit.key]:
                total = Decimal(2_550) if (unit.key, i) == ("T1", 2) else Decimal(2_150)
            else:
                total = Decimal(30_000)
            if i < unit.started:
                stage = "completed" if i < unit.completed else "started"
                if (unit.key, i) in IN_OPERATION:
                    stage = "in_operation"
                real_start = started_seen % 3 != 2
                started_seen += 1
            else:
                stage = ["planning", "signed", "land_supplied"][(i - unit.started) % 3]
                real_start = False
            projects.append(ProjectSpec(
                unit=unit, index=i, total=total, plan=unit.plan if i == 0 else Decimal(0),
                ytd=unit.ytd if i == 0 else Decimal(0), category=CATEGORIES[position % 6], level=LEVELS[position % 4],
                stage=stage, real_start=real_start, grade=graded[i] if i < len(graded) else None,
                statistics=STATISTICS.get((unit.key, i), "not_submitted")))
            position += 1
    return projects


@dataclass
class MainCity:
    units: dict[str, UnitSpec]
    projects: list[ProjectSpec]
    parcels: dict[str, int]


async def _gather(calls, limit: int = 6):
    gate = asyncio.Semaphore(limit)

    async def one(call):
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


async def _ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json() if response.content else None


async def create_unit(registry, spec: UnitSpec, prefix: str) -> None:
    spec.id = (await _ok(await registry.post("/api/v1/units", json={
        "code": code(f"{prefix}{spec.key}"), "name": spec.name, "kind": spec.kind})))["id"]


async def create_project(registry, spec: ProjectSpec, year: int, **extra) -> None:
    spec.code = code(f"{spec.unit.key}-{spec.index:02d}")
    body = {"code": spec.code, "name": f"{spec.unit.name}重点项目{spec.index + 1}号", "year": year,
            "level": spec.level, "category": spec.category, "total_investment": str(spec.total),
            "annual_plan_investment": str(spec.plan), "responsible_unit_id": spec.unit.id, **extra}
    spec.id = (await _ok(await registry.post("/api/v1/projects", json=body)))["id"]


def published(spec: ProjectSpec, year: int) -> produced.Published:
    """A project of a past year's list, published as the registry's events (its unit through the registry's API)."""
    spec.id, spec.code = str(uuid.uuid4()), code(f"{spec.unit.key}-{spec.index:02d}")
    return produced.Published(
        id=spec.id, code=spec.code, name=f"{spec.unit.name}重点项目{spec.index + 1}号", year=year, level=spec.level,
        category=spec.category, sector=spec.sector, total_investment=spec.total, annual_plan_investment=spec.plan,
        bracket=bracket_of(spec.total), responsible_unit_id=spec.unit.id)


async def move(registry, project_id: str, stage: str, day: date) -> None:
    """Forward to `stage` on `day`, dating any stage skipped on the same day."""
    order = ["planning", "signed", "land_supplied", "started", "completed", "in_operation"]
    current = (await _ok(await registry.get(f"/api/v1/projects/{project_id}")))["stage"]
    skipped = {s: day.isoformat() for s in order[order.index(current) + 1: order.index(stage)]}
    await _ok(await registry.post(f"/api/v1/projects/{project_id}/transitions", json={
        "to_stage": stage, "date": day.isoformat(), "skipped_dates": skipped, "evidence": ["现场照片"]}))


async def confirm_start(registry, project_id: str, day: date) -> None:
    await _ok(await registry.post(f"/api/v1/projects/{project_id}/start-confirmation", json={
        "kind": "piling", "date": day.isoformat(), "evidence": ["桩基施工照片"]}))


async def report_investment(registry, project_id: str, period: str, amount: Decimal | str) -> None:
    await _ok(await registry.put(f"/api/v1/projects/{project_id}/investments/{period}", json={"amount": str(amount)}))


async def _lifecycle(registry, project: ProjectSpec, day: date) -> None:
    if project.stage in STARTED:
        await move(registry, project.id, "started", day)
        if project.real_start:
            await confirm_start(registry, project.id, day)
        if project.stage in COMPLETED:
            await move(registry, project.id, project.stage, day)
    elif project.stage != "planning":
        await move(registry, project.id, project.stage, day)


async def _statistics(registry, project: ProjectSpec) -> None:
    for kind in ("approval", "construction_contract", "site_photo"):
        await _ok(await registry.post(f"/api/v1/projects/{project.id}/documents", json={
            "kind": kind, "title": f"{kind}文件", "uri": f"https://docs.example.gov.cn/{project.code}/{kind}.pdf"}))
    await _ok(await registry.post(f"/api/v1/projects/{project.id}/statistics/submit"))
    if project.statistics == "accepted":
        await _ok(await registry.post(f"/api/v1/projects/{project.id}/statistics/accept"))
    elif project.statistics == "rejected":
        await _ok(await registry.post(f"/api/v1/projects/{project.id}/statistics/reject",
                                      json={"reason": "施工合同缺页"}))


def _main_events(city_units: dict[str, UnitSpec], projects: list[ProjectSpec]) -> list:
    events = []
    for project in projects:
        if project.grade:
            if project.index == 0 and project.grade != "lagging":
                # an earlier status on the same day, superseded by the one that follows it
                events.append(produced.status(project.id, project.unit.id, "red", "lagging", JAN1))
            events.append(produced.status(project.id, project.unit.id, project.colour, project.grade, JAN1))
        if project.colour == "red":
            events.append(produced.alert(alerts.AlertRaised, project.id, project.unit.id, rule="node_overdue",
                                         colour="red", message=f"{project.unit.name}项目节点逾期30天以上",
                                         raised_on=JAN1))
    for unit in city_units.values():
        first = next(p for p in projects if p.unit is unit and p.index == 0)
        for n, status in enumerate(unit.nodes):
            key = f"n{n}"
            planned = date(LAST_YEAR, 12, 20) if status in ("done_late", "overdue") else JAN1
            events.append(produced.node(milestones.MilestonePlanned, first.id, key, status_="pending", planned=planned))
            if status.startswith("done"):
                events.append(produced.node(milestones.MilestoneCompleted, first.id, key, status_=status,
                                            planned=planned, actual=JAN1))
            elif status == "overdue":
                events.append(produced.node(milestones.MilestoneOverdue, first.id, key, status_="overdue",
                                            planned=planned, as_of=JAN1, threshold_days=1))
        if unit.nodes:  # a node planned and then removed counts nowhere
            events.append(produced.node(milestones.MilestonePlanned, first.id, "gone", status_="overdue",
                                        planned=date(LAST_YEAR, 12, 1)))
            events.append(produced.node(milestones.MilestoneRemoved, first.id, "gone", status_="overdue",
                                        planned=date(LAST_YEAR, 12, 1)))
    opened = date(LAST_YEAR, 11, 1)
    for unit_key, key, deadline, final in TASKS:
        unit = city_units[unit_key]
        project = next(p for p in projects if p.unit is unit and p.index == 0)
        common = {"project_id": project.id, "deadline": deadline, "opened_on": opened}
        events.append(produced.task(alerts.TaskOpened, key, unit.id, status_="open", **common))
        if final == "feedback_submitted":
            events.append(produced.task(alerts.TaskFeedback, key, unit.id, status_=final, feedback="已推进", **common))
        elif final == "escalated":
            events.append(produced.task(alerts.TaskEscalated, key, unit.id, status_="open", as_of=JAN1, days_late=17,
                                        escalation_level="unit_head", **common))
        elif final == "closed":
            events.append(produced.task(alerts.TaskClosed, key, unit.id, status_="closed", closed_on=JAN1,
                                        verification_note="已销号", **common))
    return events


async def build_main_city(platform, registry, reports) -> MainCity:
    units = {u.key: UnitSpec(**{**u.__dict__}) for u in MAIN_UNITS}
    projects = main_projects()
    for p in projects:
        p.unit = units[p.unit.key]
    await _gather([create_unit(registry, u, "M") for u in units.values()])
    await _gather([create_project(registry, p, YEAR) for p in projects])
    await _gather([_lifecycle(registry, p, JAN1) for p in projects])
    first_projects = [p for p in projects if p.index == 0]
    # T1 first reports 400, then corrects the month: the correction replaces it
    await report_investment(registry, first_projects[0].id, FIRST_MONTH, "400")
    await _gather([report_investment(registry, p.id, FIRST_MONTH, p.ytd) for p in first_projects])
    await _gather([_statistics(registry, p) for p in projects if p.statistics != "not_submitted"])
    t1 = units["T1"]
    started_t1 = next(p for p in projects if p.unit is t1 and p.stage == "started")
    parcels = [
        {"start_deadline": date(YEAR - 2, 6, 1)},  # idle for over a year
        {"start_deadline": TODAY - timedelta(days=10)},  # idle
        {"start_deadline": TODAY + timedelta(days=100)},  # not due yet
        {"start_deadline": TODAY - timedelta(days=400), "project_id": started_t1.id},  # started
    ]
    for parcel in parcels:
        await _ok(await registry.post("/api/v1/parcels", json={
            "code": code("PCL"), "area_mu": "35.5", "unit_id": t1.id,
            **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in parcel.items()}}))
    await produced.produce(platform.broker.bootstrap, _main_events(units, projects))
    city = MainCity(units=units, projects=projects, parcels={
        "sold_count": 4, "past_deadline_count": 3, "started_count": 1, "idle_count": 2,
        "idle_over_one_year_count": 1})

    expected = {"project_count": len(projects),
                "started_or_completed_count": sum(p.stage in STARTED for p in projects),
                "ytd_investment": str(sum(p.ytd for p in projects).normalize()),
                "late_nodes": sum(u.nodes.count("overdue") for u in units.values()),
                "late_tasks": 2, "open_tasks": 3}

    async def applied():
        body = (await reports.get("/api/v1/overview", params={"year": YEAR})).json()
        seen = {k: body[k] for k in expected}
        graded = sum(g["count"] for k, g in body["by_grade"].items() if k != "unrated")
        return seen == expected and graded == sum(p.grade is not None for p in projects) and \
            body["statistics"]["included_count"] == 3 and body["land_parcels"]["started_count"] == 1 and \
            body["real_start_count"] == sum(p.real_start for p in projects) and \
            body["by_colour"]["red"]["count"] == sum(p.colour == "red" for p in projects) and \
            body["completed_count"] == sum(p.stage in COMPLETED for p in projects) and \
            body["nodes"]["total"] == sum(len(u.nodes) for u in units.values())

    await eventually(applied, timeout=SLOW, interval=0.5, what="the main city in the reports overview")
    return city


# ---- last year's city: registered on 1 September, dated in November and December, both months frozen -------------

HISTORY_REGISTERED = date(LAST_YEAR, 9, 1)
NOV, DEC = f"{LAST_YEAR}-11", f"{LAST_YEAR}-12"
NOV_END, DEC_END = date(LAST_YEAR, 11, 30), date(LAST_YEAR, 12, 31)
HISTORY_UNITS = [UnitSpec("HT1", "北关镇", "town", 2, 0, 0, Decimal(0), Decimal(0), {}),
                 UnitSpec("HT2", "南关街道", "street", 2, 0, 0, Decimal(0), Decimal(0), {}),
                 UnitSpec("HT3", "河口镇", "town", 2, 0, 0, Decimal(0), Decimal(0), {}),
                 UnitSpec("HD1", "交通局", "department", 2, 0, 0, Decimal(0), Decimal(0), {}),
                 UnitSpec("HD2", "农业农村局", "department", 2, 0, 0, Decimal(0), Decimal(0), {})]
# (unit, index) -> start date; every project 3 亿 with a 1 亿 plan
HISTORY_STARTS = {("HT1", 0): date(LAST_YEAR, 11, 10), ("HT2", 0): date(LAST_YEAR, 12, 10),
                  ("HT2", 1): date(LAST_YEAR, 12, 10), ("HT3", 0): date(LAST_YEAR, 10, 1),
                  ("HT3", 1): date(LAST_YEAR, 11, 20), ("HD1", 0): date(LAST_YEAR, 11, 5)}
HISTORY_INVESTMENTS = {("HD1", 0): {NOV: "5000", DEC: "3000"}, ("HD2", 0): {DEC: "9000"}}


@dataclass
class HistoryCity:
    units: dict[str, UnitSpec]
    projects: dict[tuple[str, int], ProjectSpec]
    targets: dict[str, dict]
    november: dict  # GET /snapshots/{NOV} right after it was taken
    december: dict
    published: dict[tuple[str, int], produced.Published] = field(default_factory=dict)


async def build_history_city(platform, registry, reports) -> HistoryCity:
    units = {u.key: UnitSpec(**{**u.__dict__}) for u in HISTORY_UNITS}
    await _gather([create_unit(registry, u, "H") for u in units.values()])
    projects = {(u.key, i): ProjectSpec(unit=u, index=i, total=Decimal(30_000), plan=Decimal(10_000), ytd=Decimal(0),
                                        category="industry", level="municipal", stage="planning", real_start=False,
                                        grade=None) for u in units.values() for i in range(2)}
    published_ = {key: published(p, LAST_YEAR) for key, p in projects.items()}
    events = [p.registered(HISTORY_REGISTERED) for p in published_.values()]
    for key, day in HISTORY_STARTS.items():
        events.append(published_[key].moved("started", day))
        projects[key].stage = "started"
    for key, months in HISTORY_INVESTMENTS.items():
        events += [published_[key].invested(period, amount) for period, amount in months.items()]
    await produced.produce(platform.broker.bootstrap, events)
    hd1 = units["HD1"]
    targets = {}
    for name, body in {
        "started": {"measure": "started_count", "value": "4", "filter": {"category": "industry"}},
        "hd1_investment": {"measure": "investment_amount", "value": "10000", "filter": {"unit_id": hd1.id}},
        "completed": {"measure": "completed_count", "value": "1", "filter": {}},
    }.items():
        targets[name] = await _ok(await reports.post("/api/v1/targets", json={
            "year": LAST_YEAR, "name": f"上年目标-{name}", **body}))
    red = projects[("HT1", 0)]
    await produced.produce(platform.broker.bootstrap, [
        produced.status(red.id, red.unit.id, "red", "lagging", date(LAST_YEAR, 12, 15)),
        produced.alert(alerts.AlertRaised, red.id, red.unit.id, rule="investment_lag", colour="red",
                       message="投资完成率低于序时进度一半", raised_on=date(LAST_YEAR, 12, 15))])

    async def applied():
        body = (await reports.get("/api/v1/overview", params={"year": LAST_YEAR})).json()
        return body["project_count"] == 10 and body["started_or_completed_count"] == 6 and \
            body["ytd_investment"] == "17000" and body["by_colour"]["red"]["count"] == 1

    await eventually(applied, timeout=SLOW, interval=0.5, what="last year's city in the reports overview")
    frozen = {}
    for period in (NOV, DEC):
        response = await reports.post("/api/v1/snapshots", json={"period": period})
        assert response.status_code == 201, response.text
        frozen[period] = (await reports.get(f"/api/v1/snapshots/{period}")).json()
    return HistoryCity(units=units, projects=projects, targets=targets, november=frozen[NOV], december=frozen[DEC],
                       published=published_)


# ---- a list three years back, dated through its spring: who counted when, tasks and alerts as they stood then ----

DATED_YEAR = YEAR - 3
APR, MAY = f"{DATED_YEAR}-04", f"{DATED_YEAR}-05"
APR_END, MAY_END = date(DATED_YEAR, 4, 30), date(DATED_YEAR, 5, 31)


def dated_day(month: int, day: int) -> date:
    return date(DATED_YEAR, month, day)


# a park and a district beside a town: units that are neither towns nor departments
DATED_UNITS = [UnitSpec("P", "高新区管委会", "park", 3, 1, 0, Decimal(0), Decimal(0), {}),
               UnitSpec("Q", "临河县", "district", 1, 0, 0, Decimal(0), Decimal(0), {}),
               UnitSpec("X", "柳镇", "town", 1, 0, 0, Decimal(0), Decimal(0), {})]
# project -> (unit, list year, registered on, archived on)
DATED_PROJECTS = {"A": ("P", DATED_YEAR, dated_day(3, 10), None),  # started 1 April, red from 5 April
                  "B": ("P", DATED_YEAR, dated_day(5, 20), None),  # registered after April
                  "C": ("X", DATED_YEAR, dated_day(3, 10), dated_day(5, 10)),  # archived in May
                  "D": ("Q", DATED_YEAR, dated_day(3, 10), None),
                  "E": ("P", DATED_YEAR - 1, dated_day(3, 10), None)}  # on the year before's list
ALERT_CLEARED = "节点逾期30天以上(5月10日解除)"
# worded with the days passing (as the alerts service words them): shown for the day shown
LATER_WORDING = f"投资完成率低于序时进度一半(5月15日起，已 {{days:{dated_day(5, 15)}}} 天)"


def _dated_round(projects: dict[str, ProjectSpec]) -> list:
    """April's reporting round (due 5 May): A reported on time, D late, C (still listed at April's end) not at all;
    B was registered after April."""
    round_id = produced._id("round", APR)
    opened = new_event(ReportingRoundOpened(id=round_id, period=APR, year=DATED_YEAR,
                                            deadline=dated_day(5, 5), opened_on=dated_day(5, 1)),
                       subject=round_id, source=produced.REGISTRY_SOURCE)

    def submitted(key: str, on: date) -> object:
        spec = projects[key]
        return new_event(RoundReportSubmitted(
            id=produced._id("report", APR, key), round_id=round_id, period=APR, project_id=spec.id,
            responsible_unit_id=spec.unit.id, status="submitted", investment=Decimal(100), progress="施工中",
            submitted_on=on, late=on > dated_day(5, 5), on=on), subject=spec.id, source=produced.REGISTRY_SOURCE)

    return [opened, submitted("A", dated_day(5, 3)), submitted("D", dated_day(5, 8))]


@dataclass
class DatedCity:
    units: dict[str, UnitSpec]
    projects: dict[str, ProjectSpec]
    april: dict  # GET /snapshots/{APR}
    may: dict


def _dated_tasks(units: dict[str, UnitSpec], projects: dict[str, ProjectSpec]) -> list:
    """Opened on 1 April: t1 (A) open, due 15 April; t2 (E, the year before's list) and t3 (C, archived in May)
    the same; t4 (A) due 10 April, answered on 20 April; t5 (D) due 15 April, answered on 20 April and returned on
    25 April after its alert cleared (resolvable: waiting only for verification). t6 (D) opened on 1 May, due 30 June.
    t4's answer and t5's return are published on 2 June (a clock pinned to the office's day, a replay): what counts
    is the business day they carry.
    """
    def task(model, key, project, deadline, on, status_="open", **extra):
        spec = projects[project]
        return produced.task(model, f"{DATED_YEAR}-{key}", spec.unit.id, project_id=spec.id, deadline=deadline,
                             status_=status_, opened_on=extra.pop("opened_on", dated_day(4, 1)), on=on, **extra)

    return [task(alerts.TaskOpened, "t4", "A", dated_day(4, 10), dated_day(4, 1)),
            task(alerts.TaskFeedback, "t4", "A", dated_day(4, 10), dated_day(6, 2), "feedback_submitted",
                 feedback="已整改", answered_on=dated_day(4, 20)),
            task(alerts.TaskOpened, "t1", "A", dated_day(4, 15), dated_day(4, 1)),
            task(alerts.TaskOpened, "t2", "E", dated_day(4, 15), dated_day(4, 1)),
            task(alerts.TaskOpened, "t3", "C", dated_day(4, 15), dated_day(4, 1)),
            task(alerts.TaskOpened, "t5", "D", dated_day(4, 15), dated_day(4, 1)),
            task(alerts.TaskFeedback, "t5", "D", dated_day(4, 15), dated_day(4, 20), "feedback_submitted",
                 feedback="已整改", resolvable=True),
            task(alerts.TaskReturned, "t5", "D", dated_day(4, 15), dated_day(6, 2), reason="材料不全",
                 resolvable=True, returned_on=dated_day(4, 25)),
            task(alerts.TaskOpened, "t6", "D", dated_day(6, 30), dated_day(5, 1), opened_on=dated_day(5, 1))]


async def build_dated_city(platform, registry, reports) -> DatedCity:
    units = {u.key: UnitSpec(**{**u.__dict__}) for u in DATED_UNITS}
    await _gather([create_unit(registry, u, "DATED") for u in units.values()])
    projects, events = {}, []
    for index, (key, (unit, year, registered, archived)) in enumerate(DATED_PROJECTS.items()):
        projects[key] = ProjectSpec(unit=units[unit], index=index, total=Decimal(30_000), plan=Decimal(1_000),
                                    ytd=Decimal(0), category="industry", level="district", stage="planning",
                                    real_start=False, grade=None)
        project = published(projects[key], year)
        events.append(project.registered(registered))
        if key == "A":
            events += [project.moved("started", dated_day(4, 1)), project.invested(APR, "500", dated_day(5, 5))]
            projects[key].stage, projects[key].ytd = "started", Decimal(500)
        if archived:
            events.append(project.archived(archived))
    a = projects["A"]
    events += [produced.status(a.id, a.unit.id, "red", "lagging", dated_day(4, 5)),
               produced.alert(alerts.AlertRaised, a.id, a.unit.id, rule="node_overdue", colour="red",
                              message=ALERT_CLEARED, raised_on=dated_day(4, 5)),
               produced.alert(alerts.AlertResolved, a.id, a.unit.id, rule="node_overdue", colour="red",
                              message=ALERT_CLEARED, raised_on=dated_day(4, 5), status_="resolved",
                              as_of=dated_day(5, 10)),
               produced.alert(alerts.AlertRaised, a.id, a.unit.id, rule="investment_lag", colour="red",
                              message=alerts.render(LATER_WORDING, dated_day(5, 15)), wording=LATER_WORDING,
                              raised_on=dated_day(5, 15)),
               *_dated_tasks(units, projects), *_dated_round(projects)]
    await produced.produce(platform.broker.bootstrap, events)

    async def applied():  # the last event of each project (in order on its partitions) is seen
        year = (await reports.get("/api/v1/overview", params={"year": DATED_YEAR})).json()
        park = (await reports.get("/api/v1/overview", params={"unit_id": units["P"].id})).json()
        town = (await reports.get("/api/v1/overview", params={"unit_id": units["X"].id,
                                                              "as_of": APR_END.isoformat()})).json()
        listed = (await reports.get("/api/v1/projects", params={"year": DATED_YEAR})).json()["items"]
        return (year["project_count"], year["ytd_investment"], year["by_colour"]["red"]["count"],
                park["project_count"], park["open_tasks"], town["open_tasks"]) == (3, "500", 1, 3, 3, 1) and \
            {p["id"]: p["open_tasks"] for p in listed} == {projects[k].id: n for k, n in (("A", 2), ("B", 0), ("D", 2))}

    await eventually(applied, timeout=SLOW, interval=0.5, what="the dated city in the reports overview")
    frozen = {}
    for period in (APR, MAY):
        response = await reports.post("/api/v1/snapshots", json={"period": period})
        assert response.status_code == 201, response.text
        frozen[period] = (await reports.get(f"/api/v1/snapshots/{period}")).json()
    return DatedCity(units=units, projects=projects, april=frozen[APR], may=frozen[MAY])

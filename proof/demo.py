"""make demo: a living city loaded through the public APIs only, seeded and repeatable.

A district with its towns, streets and parks, the city's departments, and about 120 key projects of this year's list
across categories, levels and investment brackets, entered the way offices enter them: on the list from 1 January,
many already under way (their stages and dates as they happened), schedules planned by the category templates, land
parcels (one idle for over a year), a government-funded project over its budget. Then the platform lives through
the weeks before today: its clock moves (`clock`: the services restarted on each day) and on each day the units report
the months that ended, complete the nodes that came due (some late), start projects, and the daily scans run - so
warnings turn red, supervision tasks open and escalate to every level. On the last day: a suspended project, problems
(堵点), targets handed down, last month's reporting round with units that did not report, and every month that has
ended frozen. Without a clock (a platform already running) everything is entered on its today: the colours are
there, the escalations are not (a task escalates only as days pass)."""
import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import httpx

from proof.api import Platform, every, ok

DISTRICT = ("D01", "临江区", "district")
TOWNS = [("T01", "城关镇", "town"), ("T02", "临港街道", "street"), ("T03", "东湖镇", "town"), ("T04", "西山镇", "town"),
         ("T05", "南塘街道", "street"), ("T06", "北岭镇", "town"), ("T07", "青石镇", "town"), ("T08", "白沙街道", "street"),
         ("T09", "柳镇", "town"), ("T10", "新桥镇", "town"), ("T11", "石门镇", "town"), ("T12", "江滨街道", "street")]
PARKS = [("P01", "高新技术产业开发区", "park"), ("P02", "经济开发区", "park")]
DEPARTMENTS = [("B01", "市发展和改革局", "department"), ("B02", "市自然资源和规划局", "department"),
               ("B03", "市住房和城乡建设局", "department"), ("B04", "市生态环境局", "department"),
               ("B05", "市交通运输局", "department")]
CATEGORIES = {"manufacturing": ["新能源电池生产基地", "智能装备产业园", "高端装备制造项目", "新材料产业园",
                                "集成电路封测项目", "生物医药产业园"],
              "industry": ["光伏组件扩产项目", "精细化工技改项目", "食品加工产业园"],
              "services": ["现代物流园", "数字经济产业园", "文旅综合体", "商贸中心"],
              "infrastructure": ["城市快速路工程", "污水处理厂扩建", "综合管廊工程", "公交枢纽站", "滨江防洪堤"],
              "social": ["人民医院新院区", "实验学校新校区", "养老服务中心", "全民健身中心"],
              "agriculture": ["高标准农田建设", "现代农业产业园", "冷链仓储中心"]}
LEVELS = ["provincial"] * 2 + ["municipal"] * 5 + ["district"] * 3
LEADERS = ["张明", "李华", "王强", "赵敏", "陈刚", "刘洋"]
def diligent(project: dict) -> bool:
    """Two projects in five are run well: started on time, every node on its date, investment on or ahead of plan
    (blue, normal or faster); the others lag more or less."""
    return int(project["code"][-3:]) % 5 in (0, 2)


BEFORE_START = ("planning", "signed", "land_supplied")
PROBLEMS = [("land", "用地指标未落实，影响二期开工"), ("approval", "施工许可办理进度滞后"),
            ("funding", "专项债资金未到位"), ("environment", "环评批复待出"), ("demolition", "征迁扫尾未完成")]


Clock = Callable[[date], Awaitable[None]]  # sets the platform's day (its services restarted with KP_FIXED_TODAY)
DAYS_BEFORE = (75, 45, 25, 18, 0)  # the days the platform lives through, counted back from the last


@dataclass
class City:
    """What the demo created, for the summary and for tools that build on it (the chaos run)."""

    today: date
    units: dict[str, dict] = field(default_factory=dict)  # by code
    projects: list[dict] = field(default_factory=list)
    requests: int = 0
    days: list[date] = field(default_factory=list)


class Loader:
    def __init__(self, clients: dict[str, httpx.AsyncClient], seed: int, progress: Callable[[str, int], None]):
        self.c, self.rng, self.progress = clients, random.Random(seed), progress
        self.city: City | None = None
        self.day: date | None = None  # the platform's today
        self.invested_through = 0  # the last month whose investments were reported

    async def call(self, service: str, method: str, path: str, *expected: int, **kwargs):
        """One request; about a project another service has not heard of yet (404 'not known'), retried a while."""
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            self.city.requests += 1
            response = await self.c[service].request(method, path, **kwargs)
            if response.status_code != 404 or "not known" not in response.text or \
                    asyncio.get_running_loop().time() > deadline:
                return await ok(response, *(expected or (200, 201)))
            await asyncio.sleep(0.2)

    async def _known(self, service: str, path: str, timeout: float = 60.0) -> list[dict]:
        """A project's items in a service that learns of the project by event: waited for until it has."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                return await every(self.c[service], path)
            except RuntimeError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def _each(self, items, step: str, call) -> list:
        """call(item) for every item, eight at a time, ticking the progress bar under `step`."""
        gate = asyncio.Semaphore(8)

        async def one(item):
            async with gate:
                result = await call(item)
            self.progress(step, 1)
            return result

        return await asyncio.gather(*(one(item) for item in items))

    async def today(self) -> date:
        return date.fromisoformat((await ok(await self.c["reports"].get("/api/v1/overview")))["as_of"])

    async def load(self, *, projects: int, clock: Clock | None, last_day: date | None) -> City:
        last = last_day or await self.today()
        days = [last] if clock is None else [max(last - timedelta(days=back), date(last.year, 1, 2))
                                             for back in DAYS_BEFORE]
        self.city = city = City(today=last, days=sorted(set(days)))
        for n, day in enumerate(city.days):
            if clock is not None:
                await clock(day)
            self.day = day
            if n == 0:
                await self.units()
                await self.projects(projects)
                await self.parcels_and_documents()
            await self.progress_of_the_weeks()
            await self._tasks_to_escalate()
            await self.scans()
        await self.supervision()
        await self.reporting_round()
        await self.freeze()
        await self.scans()
        return city

    async def units(self) -> None:
        existing = {u["code"]: u for u in await every(self.c["registry"], "/api/v1/units")}

        async def unit(spec, parent_id):
            code, name, kind = spec
            if code not in existing:  # loaded before: the demo is repeatable
                body = {"code": code, "name": name, "kind": kind, **({"parent_id": parent_id} if parent_id else {})}
                existing[code] = await self.call("registry", "POST", "/api/v1/units", json=body)
            self.city.units[code] = existing[code]
            return existing[code]

        district = await unit(DISTRICT, None)
        for spec in TOWNS + PARKS:
            await unit(spec, district["id"])
        for spec in DEPARTMENTS:
            await unit(spec, None)
        self.progress("units", len(self.city.units))

    def _project_body(self, n: int) -> dict:
        """A project of the year's list as the office enters it on the first day, its past as it happened."""
        rng, year, entered = self.rng, self.city.today.year, self.day
        category = rng.choice(sorted(CATEGORIES))
        unit = rng.choice([u for c, u in self.city.units.items() if c != DISTRICT[0]])
        total = Decimal(rng.choice([3000, 8000, 15000, 30000, 60000, 120000, 250000, 600000]))
        plan = (total * Decimal(rng.choice(["0.15", "0.2", "0.3", "0.4"]))).quantize(Decimal(1))
        start = date(year, 1, 1) + timedelta(days=rng.randrange(0, 330))
        body = {"code": f"{year}-{n:03d}", "name": f"{unit['name'][:2]}{rng.choice(CATEGORIES[category])}",
                "year": year, "category": category, "level": rng.choice(LEVELS), "total_investment": str(total),
                "annual_plan_investment": str(plan), "responsible_unit_id": unit["id"], "listed_on": f"{year}-01-01",
                "planned_start_date": start.isoformat(),
                "planned_completion_date": (start + timedelta(days=rng.choice([540, 730, 900]))).isoformat(),
                "owner": f"{unit['name'][:2]}建设投资有限公司", "lead_leader": rng.choice(LEADERS),
                "latitude": str(Decimal("30.25") + Decimal(rng.randrange(-500, 500)) / 10000),
                "longitude": str(Decimal("120.16") + Decimal(rng.randrange(-800, 800)) / 10000)}
        before = entered - timedelta(days=1)
        chance = 1.0 if diligent(body) else 0.55
        if start < entered - timedelta(days=20) and rng.random() < chance:  # under way before the platform knew it
            dates = {"signed": start - timedelta(days=120), "land_supplied": start - timedelta(days=45),
                     "started": min(start + timedelta(days=rng.randrange(-10, 25)), before)}
            stage = "started"
            if rng.random() < 0.08:
                stage, dates["completed"] = "completed", before - timedelta(days=rng.randrange(0, 15))
            body.update(stage=stage, stage_dates={k: v.isoformat() for k, v in dates.items()})
        elif rng.random() < 0.5:
            land = min(start - timedelta(days=60), before)
            body.update(stage="land_supplied", stage_dates={"signed": (land - timedelta(days=90)).isoformat(),
                                                            "land_supplied": land.isoformat()})
        elif rng.random() < 0.4:
            body.update(stage="signed", stage_dates={"signed": min(start - timedelta(days=200), before).isoformat()})
        return body

    async def projects(self, count: int) -> None:
        known = {p["code"]: p for p in await every(self.c["registry"], "/api/v1/projects", year=self.city.today.year)}
        bodies = [self._project_body(n) for n in range(1, count + 1)]
        # one government-funded project that will spend over its budget (red: 超预算, handed to 监察)
        bodies[0].update(government_funded=True, budget=bodies[0]["annual_plan_investment"])

        async def create(body):
            if body["code"] in known:
                return known[body["code"]]
            return await self.call("registry", "POST", "/api/v1/projects", json=body)

        self.city.projects = await self._each(bodies, "projects", create)

    async def progress_of_the_weeks(self) -> None:
        """What the units did up to the platform's day: the months that ended reported, the nodes that came due done
        (most on time, some late, some not at all), projects whose land was supplied started."""
        day, rng = self.day, self.rng
        month = day.month - 1 if day.year == self.city.today.year else 0
        months = [f"{self.city.today.year}-{m:02d}" for m in range(self.invested_through + 1, month + 1)]
        self.invested_through = max(self.invested_through, month)
        plans = []
        for project in self.city.projects:
            twelfth = Decimal(project["annual_plan_investment"]) / 12
            silent = int(project["code"][-3:]) % 10 == 7  # 未破零: nothing reported all year
            factors = ["1.0", "1.1", "1.2", "1.3"] if diligent(project) else ["0.3", "0.6", "0.8", "1.0", "1.1"]
            for period in [] if silent else months:
                factor = Decimal(rng.choice(factors))
                plans.append((project, period, (twelfth * factor).quantize(Decimal("0.01"))))
        if months:  # the government-funded project spends a third over its budget
            funded = self.city.projects[0]
            plans.append((funded, months[-1], (Decimal(funded["budget"]) * Decimal("1.35")).quantize(Decimal("0.01"))))

        async def report(plan):
            project, period, amount = plan
            await self.call("registry", "PUT", f"/api/v1/projects/{project['id']}/investments/{period}",
                            json={"amount": str(amount)})

        await self._each(plans, "investments", report)

        async def advance(project):
            nodes = await self._known("milestones", f"/api/v1/projects/{project['id']}/milestones")
            well = diligent(project)
            for node in sorted(nodes, key=lambda n: n["planned_date"]):
                planned = date.fromisoformat(node["planned_date"])
                if node["actual_date"] or node["paused_on"] or planned > day - timedelta(days=3) or (
                        not well and rng.random() < 0.2):
                    continue
                done = min(planned + timedelta(days=0 if well else rng.choice([0, 0, -3, 5, 12])), day)
                await self.call("milestones", "POST", f"/api/v1/milestones/{node['id']}/complete", 200, 409, 422,
                                json={"actual_date": done.isoformat()})
            planned_start = date.fromisoformat(project["planned_start_date"])
            if project["stage"] in BEFORE_START and planned_start < day and (well or rng.random() < 0.3):
                await self._start(project, min(planned_start, day))
            if project["stage"] not in BEFORE_START and not project["suspended_on"]:
                await self._paperwork(project, well or rng.random() < 0.5)

        await self._each(self.city.projects, "schedules", advance)

    async def _start(self, project: dict, on: date) -> None:
        """Started on `on` (not before its last stage), the stages it skipped dated before it."""
        dates = {k: date.fromisoformat(v) for k, v in project["stage_dates"].items()}
        latest = max(dates.values(), default=on - timedelta(days=90))
        on = max(on, latest)
        skipped = {stage: max(latest, on - timedelta(days=30 * (len(BEFORE_START) - n)))
                   for n, stage in enumerate(BEFORE_START) if stage not in dates
                   and BEFORE_START.index(stage) > BEFORE_START.index(project["stage"])}
        response = await self.c["registry"].post(f"/api/v1/projects/{project['id']}/transitions", json={
            "to_stage": "started", "date": on.isoformat(),
            "skipped_dates": {k: v.isoformat() for k, v in skipped.items()}})
        self.city.requests += 1
        if response.status_code == 200:
            project.update(response.json())

    async def _paperwork(self, project: dict, done: bool) -> None:
        """A started project's real start (实质性开工) confirmed and its statistics (入库纳统) submitted and accepted -
        or, when not `done`, left waiting (paper start, not in statistics: yellow)."""
        if not done:
            return
        base = f"/api/v1/projects/{project['id']}"
        started = date.fromisoformat(project["stage_dates"]["started"])
        if project["real_start_date"] is None:
            project.update(await self.call("registry", "POST", f"{base}/start-confirmation", json={
                "kind": "piling", "date": min(started + timedelta(days=10), self.day).isoformat(),
                "evidence": [f"https://files.example.gov.cn/{project['code']}/piling.jpg"]}))
        if project["statistics_status"] == "not_submitted":
            for kind, title in (("approval", "项目备案文件"), ("construction_contract", "施工合同"),
                                ("site_photo", "开工现场照片")):
                await self.call("registry", "POST", f"{base}/documents", json={
                    "kind": kind, "title": title, "uri": f"https://files.example.gov.cn/{project['code']}/{kind}.pdf"})
            await self.call("registry", "POST", f"{base}/statistics/submit")
            accepted = await self.call("registry", "POST", f"{base}/statistics/accept")
            project["statistics_status"] = accepted.get("status", "accepted")

    async def _tasks_to_escalate(self) -> None:
        """On the first day they can be given: tasks due 3, 10 and 20 days before the last day, so that by then the
        scans have escalated them to the unit's head, the lead leader and 问责 (unanswered, as some are)."""
        last = self.city.today
        if self.day >= last - timedelta(days=3) or self.day == self.city.days[0]:
            return
        given = {t["title"] for t in await every(self.c["alerts"], "/api/v1/tasks")}
        for n, days in enumerate((3, 10, 20)):
            project = self.city.projects[(20 + n) % len(self.city.projects)]
            title = f"督促{project['name']}加快前期手续办理"
            if title in given or last - timedelta(days=days) < self.day:
                continue
            await self.call("alerts", "POST", "/api/v1/tasks", json={
                "title": title, "project_id": project["id"],
                "deadline": (last - timedelta(days=days)).isoformat()})
            given.add(title)

    async def scans(self) -> None:
        """The day's scans: nodes come due or overdue, then colours, grades, tasks and their escalations."""
        await self.call("milestones", "POST", "/api/v1/admin/scan")
        await self.call("alerts", "POST", "/api/v1/admin/scan")

    async def parcels_and_documents(self) -> None:
        today, units = self.city.today, self.city.units
        parcels = [("DK-001", today - timedelta(days=420), None), ("DK-002", today - timedelta(days=45), None),
                   ("DK-003", today + timedelta(days=120), None), ("DK-004", today - timedelta(days=200), "linked")]
        existing = {p["code"] for p in await every(self.c["registry"], "/api/v1/parcels")}
        for n, (code, deadline, linked) in enumerate(parcels):
            if code in existing:
                continue
            project = self.city.projects[(n + 5) % len(self.city.projects)]
            await self.call("registry", "POST", "/api/v1/parcels", json={
                "code": code, "location": f"{units['T01']['name']}工业园区{n + 1}号地块", "area_mu": "85.5",
                "sale_date": (deadline - timedelta(days=365)).isoformat(), "start_deadline": deadline.isoformat(),
                "unit_id": project["responsible_unit_id"], **({"project_id": project["id"]} if linked else {})})
        documented = self.city.projects[:30]
        for project in documented:
            listed = await self.call("registry", "GET", f"/api/v1/projects/{project['id']}/documents")
            if not listed.get("items", listed):
                await self.call("registry", "POST", f"/api/v1/projects/{project['id']}/documents", json={
                    "kind": "site_photo", "title": "施工现场照片",
                    "uri": f"https://files.example.gov.cn/{project['code']}/site.jpg"})
        self.progress("parcels", len(parcels))

    async def supervision(self) -> None:
        """On the last day: a project suspended, problems (堵点) for the departments to solve, targets handed down."""
        today, departments = self.city.today, [self.city.units[code] for code, *_ in DEPARTMENTS]
        suspended = self.city.projects[1]
        current = await self.call("registry", "GET", f"/api/v1/projects/{suspended['id']}")
        if current["suspended_on"] is None:
            asked = await self.call("registry", "POST", f"/api/v1/projects/{suspended['id']}/suspensions", json={
                "reason": "funding", "detail": "社会资本方资金链紧张，暂缓实施"})
            await self.call("registry", "POST", f"/api/v1/suspensions/{asked['id']}/decision",
                            json={"approve": True, "comment": "同意暂停，限期落实资金"})
        problems = {p["description"] for p in await every(self.c["alerts"], "/api/v1/problems")}
        for n, (kind, text) in enumerate(PROBLEMS):
            if text in problems:
                continue
            project = self.city.projects[(10 + n) % len(self.city.projects)]
            await self.call("alerts", "POST", f"/api/v1/projects/{project['id']}/problems", json={
                "type": kind, "description": text, "solving_unit_id": departments[n % len(departments)]["id"]})
        targets = {t["name"] for t in await self.call("reports", "GET", "/api/v1/targets",
                                                       params={"year": today.year})}
        for code, *_ in TOWNS[:6]:
            unit = self.city.units[code]
            name = f"{unit['name']}年度开工目标"
            if name not in targets:
                await self.call("reports", "POST", "/api/v1/targets", json={
                    "year": today.year, "name": name, "measure": "started_count", "value": "3",
                    "filter": {"unit_id": unit["id"]}})
        self.progress("supervision", len(PROBLEMS) + 6)

    async def reporting_round(self) -> None:
        """Last month's round, due five days into this month: most projects reported, two towns not at all."""
        today = self.city.today
        if today.month == 1:
            return
        period = f"{today.year}-{today.month - 1:02d}"
        found = [r for r in await self.call("registry", "GET", "/api/v1/reporting-rounds") if r["period"] == period]
        round_ = found[0] if found else await self.call("registry", "POST", "/api/v1/reporting-rounds", json={
            "period": period, "deadline": min(date(today.year, today.month, 5), today).isoformat()})
        lazy = {self.city.units["T07"]["id"], self.city.units["T11"]["id"]}
        reporters = [p for p in self.city.projects[2:] if p["responsible_unit_id"] not in lazy
                     and int(p["code"][-3:]) % 7 != 3]

        async def report(project):
            await self.call("registry", "PUT", f"/api/v1/reporting-rounds/{round_['id']}/reports/{project['id']}",
                            200, 409, 422, json={
                                "investment": "500", "progress": "主体结构施工", "next_plan": "加快施工进度",
                                "photos": [f"https://files.example.gov.cn/{project['code']}/{period}.jpg"]})

        await self._each(reporters, "reporting", report)

    async def freeze(self) -> None:
        """Every month that has ended frozen, as it stood on its last day."""
        today = self.city.today
        frozen = {s["period"] for s in await self.call("reports", "GET", "/api/v1/snapshots")}
        await asyncio.sleep(3)  # the last events reach reports first
        for month in range(1, today.month):
            period = f"{today.year}-{month:02d}"
            if period not in frozen:
                await self.call("reports", "POST", "/api/v1/snapshots", 201, 409, json={"period": period})
        self.progress("snapshots", today.month - 1)


async def load(platform: Platform, *, projects: int = 120, seed: int = 2026, clock: Clock | None = None,
               last_day: date | None = None, progress: Callable[[str, int], None] = lambda _step, _n: None) -> City:
    """Load the demo city into a running platform (again: what exists is kept, what is missing is added). With a
    `clock`, the platform lives through the weeks before `last_day` (default: the platform's today)."""
    async with platform.client("registry") as registry, platform.client("milestones") as milestones, \
            platform.client("alerts") as alerts, platform.client("reports") as reports:
        clients = {"registry": registry, "milestones": milestones, "alerts": alerts, "reports": reports}
        return await Loader(clients, seed, progress).load(projects=projects, clock=clock, last_day=last_day)

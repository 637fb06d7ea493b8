"""make chaos: writes at a steady rate across the four services while, in turn, each service is killed (SIGKILL) and
started again and the embedded broker is killed and started again (it keeps no log: the producers re-feed it from
their outboxes). Bounded: it stops by itself. At the end every acknowledged write must be there exactly once and
`verify` must find no difference; the report says what was written, published, re-fed and dead-lettered, and how
long the platform took to converge.

The writes: projects created (registry), monthly investments and stage moves (registry), node completions
(milestones), supervision tasks opened and answered (alerts)."""
import asyncio
import itertools
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

import httpx
from prometheus_client.parser import text_string_to_metric_families

from proof.api import Platform, every, ok
from proof.verify import verify

KILLS = (("registry", 0.12), ("milestones", 0.27), ("alerts", 0.42), ("reports", 0.57), ("broker", 0.72))
WRITES = {"project": 8, "investment": 34, "transition": 8, "node": 20, "task": 10, "feedback": 20}
COUNTED = ("kp_events_published_total", "kp_outbox_refeeds_total", "kp_events_dead_lettered_total")


class Processes(Protocol):
    """What chaos kills and starts again: the embedded broker and the four service processes by name."""

    broker: object
    services: dict


@dataclass
class Report:
    attempted: int = 0
    acknowledged: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)  # not acknowledged: the service was down, or said no
    kills: list[str] = field(default_factory=list)
    counted: Counter = field(default_factory=Counter)  # the COUNTED metrics over every process's life
    converged_in: float | None = None
    differences: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"writes attempted {self.attempted}, acknowledged {sum(self.acknowledged.values())} "
                f"({', '.join(f'{k} {v}' for k, v in sorted(self.acknowledged.items()))}), not acknowledged "
                f"{sum(self.refused.values())}",
                f"killed (SIGKILL) and started again: {', '.join(self.kills)}",
                f"events published {self.counted['kp_events_published_total']:.0f}, broker re-fed "
                f"{self.counted['kp_outbox_refeeds_total']:.0f} times, dead-lettered "
                f"{self.counted['kp_events_dead_lettered_total']:.0f}",
                f"converged in {self.converged_in:.1f}s after the load" if self.converged_in is not None
                else "did not converge",
                f"differences: {len(self.differences)}", *self.differences]


class Load:
    """The writes, and what each acknowledged one must have left behind."""

    def __init__(self, clients: dict[str, httpx.AsyncClient], report: Report, seed: int):
        self.c, self.report, self.rng = clients, report, random.Random(seed)
        self.today: date | None = None
        self.units: list[str] = []
        self.projects: list[dict] = []
        self.nodes: dict[str, list[str]] = {}  # project id -> open node ids
        self.tasks: list[str] = []
        self.codes = itertools.count(1)
        self.run_id = f"{seed:04d}{int(time.time()) % 100000:05d}"
        # every value sent per key, in order, and the index of the last acknowledged one
        self.sent: dict[tuple, list] = defaultdict(list)
        self.acked: dict[tuple, int] = {}

    async def prepare(self) -> None:
        self.today = date.fromisoformat((await ok(await self.c["reports"].get("/api/v1/overview")))["as_of"])
        self.units = [u["id"] for u in await every(self.c["registry"], "/api/v1/units")]
        if not self.units:
            unit = await ok(await self.c["registry"].post("/api/v1/units", json={
                "code": f"CH{self.run_id}", "name": "混沌测试镇", "kind": "town"}), 201)
            self.units = [unit["id"]]
        for _ in range(5):
            await self.write("project")

    async def write(self, kind: str) -> None:
        self.report.attempted += 1
        try:
            done = await getattr(self, f"_{kind}")()
        except (httpx.HTTPError, asyncio.TimeoutError):
            done = False
        (self.report.acknowledged if done else self.report.refused)[kind] += 1

    def _record(self, key: tuple, value, response: httpx.Response) -> bool:
        self.sent[key].append(value)
        if response.status_code in (200, 201):
            self.acked[key] = len(self.sent[key]) - 1
            return True
        return False

    async def _project(self) -> bool:
        code = f"CH{self.run_id}-{next(self.codes):04d}"
        planned = self.today + timedelta(days=self.rng.randrange(-60, 90))
        body = {"code": code, "name": "混沌测试项目", "year": self.today.year, "category": "manufacturing",
                "total_investment": "50000", "annual_plan_investment": "12000", "listed_on": f"{self.today.year}-01-01",
                "responsible_unit_id": self.rng.choice(self.units), "planned_start_date": planned.isoformat(),
                "planned_completion_date": (planned + timedelta(days=700)).isoformat()}
        response = await self.c["registry"].post("/api/v1/projects", json=body)
        if self._record(("project", code), code, response):
            self.projects.append(response.json())
            return True
        return False

    async def _investment(self) -> bool:
        if not self.projects or self.today.month == 1:
            return False
        project = self.rng.choice(self.projects)
        period = f"{self.today.year}-{self.rng.randrange(1, self.today.month):02d}"
        amount = str(Decimal(self.rng.randrange(100, 3000)))
        response = await self.c["registry"].put(f"/api/v1/projects/{project['id']}/investments/{period}",
                                                json={"amount": amount})
        return self._record(("investment", project["id"], period), Decimal(amount), response)

    async def _transition(self) -> bool:
        waiting = [p for p in self.projects if p["stage"] in ("planning", "signed")]
        if not waiting:
            return False
        project = self.rng.choice(waiting)
        to = "signed" if project["stage"] == "planning" else "land_supplied"
        response = await self.c["registry"].post(f"/api/v1/projects/{project['id']}/transitions",
                                                 json={"to_stage": to, "date": self.today.isoformat()})
        if self._record(("stage", project["id"], to), to, response):
            project["stage"] = to
            return True
        return False

    async def _node(self) -> bool:
        if not self.projects:
            return False
        project = self.rng.choice(self.projects)
        if project["id"] not in self.nodes:
            response = await self.c["milestones"].get(f"/api/v1/projects/{project['id']}/milestones",
                                                      params={"limit": 500})
            if response.status_code != 200:
                return False
            self.nodes[project["id"]] = [n["id"] for n in sorted(response.json()["items"],
                                                                 key=lambda n: n["planned_date"])
                                         if n["actual_date"] is None]
        if not self.nodes[project["id"]]:
            return False
        node = self.nodes[project["id"]][0]
        response = await self.c["milestones"].post(f"/api/v1/milestones/{node}/complete",
                                                   json={"actual_date": self.today.isoformat()})
        if self._record(("node", node), self.today.isoformat(), response):
            self.nodes[project["id"]].remove(node)
            return True
        return False

    async def _task(self) -> bool:
        if not self.projects:
            return False
        project = self.rng.choice(self.projects)
        title = f"混沌督办 {self.run_id}-{next(self.codes):04d}"
        response = await self.c["alerts"].post("/api/v1/tasks", json={
            "title": title, "project_id": project["id"],
            "deadline": (self.today + timedelta(days=10)).isoformat()})
        if self._record(("task", title), title, response):
            self.tasks.append(response.json()["id"])
            return True
        return False

    async def _feedback(self) -> bool:
        if not self.tasks:
            return False
        task = self.rng.choice(self.tasks)
        text = f"已落实 {next(self.codes)}"
        response = await self.c["alerts"].post(f"/api/v1/tasks/{task}/feedback", json={"feedback": text})
        return self._record(("feedback", task), text, response)

    async def missing(self) -> list[str]:
        """Every acknowledged write still there exactly once (its last acknowledged value, or one sent after it that
        the service applied though its answer was lost)."""
        found = []
        registry, milestones, alerts = self.c["registry"], self.c["milestones"], self.c["alerts"]
        codes = Counter(p["code"] for p in await every(registry, "/api/v1/projects"))
        titles = Counter(t["title"] for t in await every(alerts, "/api/v1/tasks"))
        months: dict[str, dict] = {}
        for key, index in sorted(self.acked.items(), key=str):
            allowed = self.sent[key][index:]
            kind = key[0]
            if kind == "project" and codes[key[1]] != 1:
                found.append(f"project {key[1]} acknowledged, found {codes[key[1]]} times")
            elif kind == "task" and titles[key[1]] != 1:
                found.append(f"task {key[1]} acknowledged, found {titles[key[1]]} times")
            elif kind == "investment":
                if key[1] not in months:
                    body = await ok(await registry.get(f"/api/v1/projects/{key[1]}/investments"))
                    months[key[1]] = {m["period"]: Decimal(m["amount"]) for m in body["items"]}
                if months[key[1]].get(key[2]) not in allowed:
                    found.append(f"investment {key[1]} {key[2]}: acknowledged {allowed[0]}, "
                                 f"found {months[key[1]].get(key[2])}")
            elif kind == "node":
                node = await ok(await milestones.get(f"/api/v1/milestones/{key[1]}"))
                if node["actual_date"] not in allowed:
                    found.append(f"node {key[1]}: acknowledged done on {allowed[0]}, found {node['actual_date']}")
            elif kind == "feedback":
                task = await ok(await alerts.get(f"/api/v1/tasks/{key[1]}"))
                if task["feedback"] not in allowed:
                    found.append(f"task {key[1]}: acknowledged feedback {allowed[0]!r}, found {task['feedback']!r}")
            elif kind == "stage":
                project = await ok(await registry.get(f"/api/v1/projects/{key[1]}"))
                if key[2] not in project["stage_dates"]:
                    found.append(f"project {key[1]}: acknowledged {key[2]}, its stages are {project['stage_dates']}")
        return found


async def _counted(platform: Platform, service: str) -> Counter:
    """The COUNTED metrics of one service process, summed over their labels."""
    totals = Counter()
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(f"{platform.urls[service]}/metrics")).text
    except httpx.HTTPError:
        return totals
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in COUNTED:
                totals[sample.name] += sample.value
    return totals


async def _kill_and_restart(processes: Processes, platform: Platform, name: str, report: Report, down: float) -> None:
    if name == "broker":
        processes.broker.process.kill()
        processes.broker.process.wait()
        await asyncio.sleep(down)
        await asyncio.to_thread(processes.broker.start)
    else:
        report.counted.update(await _counted(platform, name))  # its counters die with it
        service = processes.services[name]
        service.kill()
        await asyncio.sleep(down)
        service.start(wait=False)
        await asyncio.to_thread(service.wait_healthy)
    report.kills.append(name)


async def run(platform: Platform, processes: Processes, *, seconds: float = 120.0, rate: float = 50.0,
              down: float = 3.0, converge: float = 240.0, seed: int = 7, echo=print) -> Report:
    """The load for `seconds` at `rate` writes a second with the kills, then convergence and the checks."""
    report = Report()
    clients = {name: platform.client(name) for name in platform.urls}
    try:
        for client in clients.values():
            client.timeout = httpx.Timeout(10.0)
        load = Load(clients, report, seed)
        await load.prepare()
        started = time.monotonic()
        kills = [asyncio.create_task(_after(at * seconds, _kill_and_restart(processes, platform, name, report, down)))
                 for name, at in KILLS]
        writes, gate = set(), asyncio.Semaphore(64)
        kinds, weights = list(WRITES), list(WRITES.values())
        for n in itertools.count():
            due = started + n / rate
            if due - started >= seconds:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            kind = load.rng.choices(kinds, weights)[0]

            async def one(kind=kind):
                async with gate:
                    await load.write(kind)

            task = asyncio.create_task(one())
            writes.add(task)
            task.add_done_callback(writes.discard)
        await asyncio.gather(*kills)
        await asyncio.gather(*writes)
        echo(f"load done: {report.attempted} writes in {time.monotonic() - started:.0f}s; converging")
        settled = time.monotonic()
        found = await verify(platform, wait=converge)
        report.converged_in = time.monotonic() - settled if not found.differences else None
        report.differences = found.differences + await load.missing()
        for name in platform.urls:
            report.counted.update(await _counted(platform, name))
    finally:
        for client in clients.values():
            await client.aclose()
    return report


async def _after(delay: float, action) -> None:
    await asyncio.sleep(delay)
    await action

"""make verify: read each service's own state through its API and recompute from it what the others should hold.

- every project on the registry's list is in reports (and nothing else is), with the registry's facts and the year's
  investment the registry sums;
- every project's nodes as milestones counts them (total, done, done on time, overdue) are reports' counts;
- every project's colour, grade and active alert reasons in reports are alerts', and its unclosed and late
  supervision tasks are those alerts lists;
- the overview of each year and the ranking of its units (each unit's own projects) equal figures recomputed from
  the registry's and alerts' facts.

Differences are printed, one a line; none is expected once the platform has caught up (`--wait` retries until it
has, for platforms that were just loaded or just recovered)."""
import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

from proof.api import Platform, every, ok

STARTED = {"started", "completed", "in_operation"}
COMPLETED = {"completed", "in_operation"}
PROJECT_FIELDS = {"code": "code", "name": "name", "year": "year", "responsible_unit_id": "unit_id", "stage": "stage",
                  "planned_start_date": "planned_start_date", "planned_completion_date": "planned_completion_date",
                  "real_start_date": "real_start_date", "government_funded": "government_funded",
                  "concentrated_start": "concentrated_start", "stage_dates": "stage_dates"}
MONEY_FIELDS = ("total_investment", "annual_plan_investment")
PARALLEL = 16


@dataclass
class Findings:
    differences: list[str] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)

    def compare(self, what: str, expected, found, *, source: str = "registry") -> None:
        self.checked["values"] += 1
        if expected != found:
            self.differences.append(f"{what}: {source} {expected!r}, reports {found!r}")


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _each(items, call):
    """call(item) for every item, PARALLEL at a time; the results in order."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(item):
        async with gate:
            return await call(item)

    return await asyncio.gather(*(one(item) for item in items))


async def check(platform: Platform) -> Findings:
    """Every check once; the differences found."""
    found = Findings()
    async with platform.client("registry") as registry, platform.client("milestones") as milestones, \
            platform.client("alerts") as alerts, platform.client("reports") as reports:
        listed = {p["id"]: p for p in await every(registry, "/api/v1/projects")}
        shown = {p["id"]: p for p in await every(reports, "/api/v1/projects")}
        found.checked["projects"] = len(listed)
        for pid in sorted(listed.keys() - shown.keys()):
            found.differences.append(f"project {listed[pid]['code']} ({pid}): on the registry's list, not in reports")
        for pid in sorted(shown.keys() - listed.keys()):
            found.differences.append(f"project {shown[pid]['code']} ({pid}): in reports, not on the registry's list")
        common = sorted(listed.keys() & shown.keys())

        # the registry's facts, and the year's investment it sums
        async def investments(pid):
            return await ok(await registry.get(f"/api/v1/projects/{pid}/investments"))

        ytd = {}
        for pid, body in zip(common, await _each(common, investments)):
            year = listed[pid]["year"]
            ytd[pid] = next((_money(y["ytd_investment"]) for y in body["years"] if y["year"] == year), Decimal(0))
        for pid in common:
            mine, theirs, label = listed[pid], shown[pid], f"project {listed[pid]['code']}"
            for ours, their in PROJECT_FIELDS.items():
                found.compare(f"{label} {ours}", mine[ours], theirs[their])
            for name in MONEY_FIELDS:
                found.compare(f"{label} {name}", _money(mine[name]), _money(theirs[name]))
            found.compare(f"{label} ytd_investment", ytd[pid], _money(theirs["ytd_investment"]))

        # nodes as milestones counts them
        nodes: dict[str, Counter] = defaultdict(Counter)
        for node in await every(milestones, "/api/v1/milestones"):
            counts = nodes[node["project_id"]]
            counts["nodes_total"] += 1
            counts["nodes_done"] += node["status"] in ("done_on_time", "done_late")
            counts["nodes_done_on_time"] += node["status"] == "done_on_time"
            counts["nodes_late"] += node["status"] == "overdue"
        found.checked["nodes"] = sum(c["nodes_total"] for c in nodes.values())
        for pid in common:
            for name in ("nodes_total", "nodes_done", "nodes_done_on_time", "nodes_late"):
                found.compare(f"project {listed[pid]['code']} {name}", nodes[pid][name], shown[pid][name],
                              source="milestones")

        # colours, grades, alert reasons and tasks as alerts holds them
        async def status(pid):
            response = await alerts.get(f"/api/v1/projects/{pid}/status")
            return None if response.status_code == 404 else await ok(response)

        statuses = dict(zip(common, await _each(common, status)))
        for pid in common:
            state, theirs, label = statuses[pid], shown[pid], f"project {listed[pid]['code']}"
            if state is None:
                found.differences.append(f"{label}: alerts has not evaluated it")
                continue
            found.compare(f"{label} colour", state["colour"], theirs["colour"], source="alerts")
            found.compare(f"{label} grade", state["grade"], theirs["grade"], source="alerts")
            found.compare(f"{label} alert reasons", sorted(a["message"] for a in state["alerts"]),
                          sorted(theirs["alerts"]), source="alerts")
        unclosed, late = Counter(), Counter()
        for task in await every(alerts, "/api/v1/tasks"):
            if task["status"] != "closed" and task["project_id"]:
                unclosed[task["project_id"]] += 1
        for task in await every(alerts, "/api/v1/tasks", late="true"):
            if task["project_id"]:
                late[task["project_id"]] += 1
        found.checked["tasks"] = sum(unclosed.values())
        for pid in common:
            label = f"project {listed[pid]['code']}"
            found.compare(f"{label} open_tasks", unclosed[pid], shown[pid]["open_tasks"], source="alerts")
            found.compare(f"{label} late_tasks", late[pid], shown[pid]["late_tasks"], source="alerts")

        # the overview and the units' ranking of each year, recomputed
        colours = {pid: (s or {}).get("colour") for pid, s in statuses.items()}
        for year in sorted({p["year"] for p in listed.values()}):
            mine = [p for p in listed.values() if p["year"] == year]
            overview = await ok(await reports.get("/api/v1/overview", params={"year": year}))
            expected = _figures(mine, ytd, colours)
            found.compare(f"overview {year}", expected, {
                "project_count": overview["project_count"], "total_investment": _money(overview["total_investment"]),
                "annual_plan_investment": _money(overview["annual_plan_investment"]),
                "ytd_investment": _money(overview["ytd_investment"]),
                "started_or_completed_count": overview["started_or_completed_count"],
                "completed_count": overview["completed_count"],
                "red": overview["by_colour"]["red"]["count"], "yellow": overview["by_colour"]["yellow"]["count"]})
            ranking = await ok(await reports.get("/api/v1/rankings", params={
                "year": year, "include_descendants": "false", "metric": "red_count"}))
            rows = {r["unit_id"]: r for r in ranking["items"]}
            by_unit = defaultdict(list)
            for project in mine:
                by_unit[project["responsible_unit_id"]].append(project)
            for unit, projects in sorted(by_unit.items()):
                expected = _figures(projects, ytd, colours)
                row = rows.get(unit)
                found.compare(f"ranking {year} unit {unit}", (
                    expected["project_count"], expected["annual_plan_investment"], expected["ytd_investment"],
                    expected["red"], expected["yellow"]), row and (
                    row["project_count"], _money(row["annual_plan_investment"]), _money(row["ytd_investment"]),
                    row["red_count"], row["yellow_count"]))
    return found


def _figures(projects: list[dict], ytd: dict, colours: dict) -> dict:
    return {
        "project_count": len(projects),
        "total_investment": sum((_money(p["total_investment"]) for p in projects), Decimal(0)),
        "annual_plan_investment": sum((_money(p["annual_plan_investment"]) for p in projects), Decimal(0)),
        "ytd_investment": sum((ytd.get(p["id"], Decimal(0)) for p in projects), Decimal(0)),
        "started_or_completed_count": sum(p["stage"] in STARTED for p in projects),
        "completed_count": sum(p["stage"] in COMPLETED for p in projects),
        "red": sum(colours.get(p["id"]) == "red" for p in projects),
        "yellow": sum(colours.get(p["id"]) == "yellow" for p in projects),
    }


async def verify(platform: Platform, *, wait: float = 0.0, echo=print) -> Findings:
    """Check; while differences remain and `wait` seconds have not passed, check again (events still in flight)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            found = await check(platform)
        except (httpx.HTTPError, RuntimeError) as exc:
            if time.monotonic() >= deadline:
                raise
            echo(f"not reachable yet ({exc}); retrying")
            await asyncio.sleep(2)
            continue
        if not found.differences or time.monotonic() >= deadline:
            return found
        echo(f"{len(found.differences)} differences; checking again (events may still be on their way)")
        await asyncio.sleep(2)

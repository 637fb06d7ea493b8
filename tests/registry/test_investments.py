"""Monthly investment upserts, year-to-date sums, budgets of government-funded projects, and their events."""
import asyncio
from datetime import date
from decimal import Decimal

import pytest

from contracts.registry import BudgetChanged, InvestmentReported
from tests.registry.conftest import published, TODAY, YEAR, field_names, history_actions
from tests.support.api import client
from tests.support.factories import create_project, create_unit


def month(year: int, number: int) -> str:
    return f"{year}-{number:02d}"


def next_month(day: date) -> str:
    return month(day.year + 1, 1) if day.month == 12 else month(day.year, day.month + 1)


@pytest.fixture
async def project(registry):
    unit = await create_unit(registry)
    return await create_project(registry, unit["id"], year=YEAR - 1, annual_plan_investment="30000")


@pytest.fixture
async def funded(registry):
    """A government-funded project with a budget of 1,000 万元."""
    unit = await create_unit(registry)
    return await create_project(registry, unit["id"], year=YEAR - 1, total_investment="5000",
                                annual_plan_investment="2000", government_funded=True, budget="1000")


def url(project_id: str, period: str | None = None) -> str:
    base = f"/api/v1/projects/{project_id}/investments"
    return base if period is None else f"{base}/{period}"


async def report(registry, project_id: str, period: str, amount: str) -> dict:
    response = await registry.put(url(project_id, period), json={"amount": amount})
    assert response.status_code in (200, 201), response.text
    return response.json()


# --- reporting a month ------------------------------------------------------------------------------------------

async def test_first_report_of_a_month_is_created_and_announced(registry, project, registry_events):
    period = month(YEAR, 1)
    response = await registry.put(url(project["id"], period), json={"amount": "1200.5"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["period"] == period and body["year"] == YEAR
    assert body["amount"] == "1200.5" and body["previous_amount"] is None
    assert body["ytd_investment"] == "1200.5" and body["cumulative_investment"] == "1200.5"
    assert body["annual_plan_investment"] == "30000"

    [event] = await published(registry_events, InvestmentReported, project["id"])
    assert event == InvestmentReported(
        project_id=project["id"], responsible_unit_id=project["responsible_unit_id"], period=period, year=YEAR,
        amount=Decimal("1200.5"), previous_amount=None, ytd_investment=Decimal("1200.5"),
        cumulative_investment=Decimal("1200.5"), annual_plan_investment=Decimal("30000"))
    entry = (await history_actions(registry, project["id"]))[-1]
    assert entry["action"] == "investment_reported"
    assert entry["changes"] == {f"investments.{period}": {"before": None, "after": "1200.5"}}


async def test_a_correction_keeps_the_previous_value_in_history_and_event(registry, project, registry_events):
    period = month(YEAR, 1)
    assert (await registry.put(url(project["id"], period), json={"amount": "100"})).status_code == 201
    response = await registry.put(url(project["id"], period), json={"amount": "80.25"})
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == "80.25" and response.json()["previous_amount"] == "100"
    assert response.json()["ytd_investment"] == "80.25"

    first, correction = await published(registry_events, InvestmentReported, project["id"], count=2)
    assert first.amount == Decimal("100") and first.previous_amount is None
    assert correction.amount == Decimal("80.25") and correction.previous_amount == Decimal("100")
    assert correction.ytd_investment == Decimal("80.25") and correction.cumulative_investment == Decimal("80.25")
    entry = (await history_actions(registry, project["id"]))[-1]
    assert entry["action"] == "investment_corrected"
    assert entry["changes"] == {f"investments.{period}": {"before": "100", "after": "80.25"}}
    assert entry["actor"] == "tests"


async def test_reporting_the_same_amount_again_changes_nothing(registry, project, registry_events):
    period = month(YEAR, 1)
    assert (await registry.put(url(project["id"], period), json={"amount": "100"})).status_code == 201
    again = await registry.put(url(project["id"], period), json={"amount": "100.000"})
    assert again.status_code == 200 and again.json()["previous_amount"] is None
    assert (await registry.put(url(project["id"], month(YEAR - 1, 12)), json={"amount": "1"})).status_code == 201

    # events of one project are in order: the repeat would sit between the two reports
    events = await published(registry_events, InvestmentReported, project["id"], count=2)
    assert [e.period for e in events] == [period, month(YEAR - 1, 12)]
    actions = [e["action"] for e in await history_actions(registry, project["id"])]
    assert actions.count("investment_reported") == 2 and "investment_corrected" not in actions


async def test_year_to_date_sums_are_per_year_and_exact(registry, project, registry_events):
    reports = {month(YEAR - 1, 11): "0.000001", month(YEAR - 1, 12): "0.1", month(YEAR, 1): "2500.333333"}
    for period, amount in reports.items():
        assert (await registry.put(url(project["id"], period), json={"amount": amount})).status_code == 201

    body = (await registry.get(url(project["id"]))).json()
    assert body["cumulative_investment"] == "2500.433334"
    assert body["annual_plan_investment"] == "30000"
    assert [(m["period"], m["amount"], m["ytd_investment"]) for m in body["items"]] == [
        (month(YEAR - 1, 11), "0.000001", "0.000001"),
        (month(YEAR - 1, 12), "0.1", "0.100001"),
        (month(YEAR, 1), "2500.333333", "2500.333333"),
    ]
    years = {y["year"]: y for y in body["years"]}
    assert years[YEAR - 1]["ytd_investment"] == "0.100001" and years[YEAR - 1]["months_reported"] == 2
    assert Decimal(years[YEAR - 1]["completion_rate"]) == Decimal("0.100001") / 30000
    assert years[YEAR]["ytd_investment"] == "2500.333333" and years[YEAR]["completion_rate"] is None

    events = await published(registry_events, InvestmentReported, project["id"], count=3)
    assert [(e.ytd_investment, e.cumulative_investment) for e in events] == [
        (Decimal("0.000001"), Decimal("0.000001")),
        (Decimal("0.100001"), Decimal("0.100001")),
        (Decimal("2500.333333"), Decimal("2500.433334")),
    ]


async def test_months_reported_at_once_each_announce_the_sums_of_those_written_before(registry, project,
                                                                                       registry_events):
    """Concurrent reports of one project's months are written one after the other (the project row is locked), and
    each event's sums include every month written before it, whichever request waited."""
    periods = [month(YEAR - 1, number) for number in range(1, 13)]
    await asyncio.gather(*(report(registry, project["id"], period, str(number))
                           for number, period in enumerate(periods, start=1)))
    events = await published(registry_events, InvestmentReported, project["id"], count=12)
    assert sorted(e.period for e in events) == periods
    sums = [e.ytd_investment for e in events]  # in the order they were written (staged)
    assert sums == sorted(sums) and len(set(sums)) == 12 and sums[-1] == sum(range(1, 13))
    assert [e.cumulative_investment for e in events] == sums
    assert all(later - earlier == e.amount for earlier, later, e in zip(sums, sums[1:], events[1:]))


async def test_the_current_month_may_be_reported(registry, project):
    response = await registry.put(url(project["id"], f"{TODAY:%Y-%m}"), json={"amount": "0"})
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == "0"


async def test_a_project_without_reports_lists_nothing(registry, project):
    body = (await registry.get(url(project["id"]))).json()
    assert body == {"project_id": project["id"], "annual_plan_investment": "30000", "cumulative_investment": "0",
                    "years": [], "items": []}


# --- bad input ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "202601", "26-01", "abcd-01", "2026-01-01",
                                   "2026-01x", " 2026-01", "2026-01%0A", "٢٠٢٦-01", "2026-٠١", "２０２６-01"])
async def test_a_malformed_period_is_422(registry, project, period):
    response = await registry.put(url(project["id"], period), json={"amount": "1"})
    assert field_names(response) == {"period"}


async def test_a_month_in_other_digits_is_not_stored_beside_the_month(registry, project):
    """٢٠٢٦-٠١ (Arabic-Indic digits) is not 2026-01: refused, not kept as a second January."""
    period = month(YEAR, 1)
    await report(registry, project["id"], period, "100")
    arabic = period.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for other in (arabic, arabic[:5] + period[5:], period[:5] + arabic[5:]):
        assert field_names(await registry.put(url(project["id"], other), json={"amount": "999"})) == {"period"}
    listed = (await registry.get(url(project["id"]))).json()
    assert [(m["period"], m["amount"]) for m in listed["items"]] == [(period, "100")]
    assert listed["cumulative_investment"] == "100"


async def test_a_period_after_the_current_month_is_422(registry, project):
    response = await registry.put(url(project["id"], next_month(TODAY)), json={"amount": "1"})
    assert field_names(response) == {"period"}
    assert "after the current month" in response.json()["errors"][0]["message"]


async def test_a_period_before_the_projects_year_is_422(registry, project):
    response = await registry.put(url(project["id"], month(YEAR - 2, 12)), json={"amount": "1"})
    assert field_names(response) == {"period"}
    assert "before the project's year" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("body, field", [
    ({"amount": "-1"}, "amount"),
    ({"amount": "1.0000001"}, "amount"),
    ({"amount": "one hundred"}, "amount"),
    ({"amount": "1e400"}, "amount"),
    ({"amount": "1000000000000.000001"}, "amount"),
    ({"amount": "99999999999999"}, "amount"),
    ({"amount": None}, "amount"),
    ({}, "amount"),
    ({"amount": "1", "month": "2026-01"}, "month"),
    ([1, 2], "body"),
])
async def test_a_bad_amount_is_422_naming_the_field(registry, project, body, field):
    response = await registry.put(url(project["id"], month(YEAR, 1)), json=body)
    assert field in field_names(response)


async def test_a_body_that_is_not_json_is_422(registry, project):
    response = await registry.put(url(project["id"], month(YEAR, 1)), content=b"{amount:",
                                  headers={"content-type": "application/json"})
    assert field_names(response) == {"body"}


async def test_an_unknown_project_is_404(registry):
    assert (await registry.put(url("nope", month(YEAR, 1)), json={"amount": "1"})).status_code == 404
    assert (await registry.get(url("nope"))).status_code == 404
    assert (await registry.get("/api/v1/projects/nope/budget")).status_code == 404


# --- who may report ---------------------------------------------------------------------------------------------

async def test_reporting_needs_a_token_with_the_write_scope(platform, project):
    period = url(project["id"], month(YEAR, 1))
    async with client(platform.url("registry"), auth=False) as anonymous:
        assert (await anonymous.put(period, json={"amount": "1"})).status_code == 401
        assert (await anonymous.get(url(project["id"]))).status_code == 401
    async with client(platform.url("registry"), "projects:read") as reader:
        assert (await reader.put(period, json={"amount": "1"})).status_code == 403
        assert (await reader.get(url(project["id"]))).status_code == 200
    async with client(platform.url("registry"), "projects:write") as writer:
        assert (await writer.put(period, json={"amount": "1"})).status_code == 201


async def test_a_unit_bound_token_reports_only_for_its_own_units_projects(platform, registry, project):
    other = await create_unit(registry)
    period = url(project["id"], month(YEAR, 1))
    async with client(platform.url("registry"), "projects:write", unit_id=other["id"]) as stranger:
        response = await stranger.put(period, json={"amount": "1"})
        assert response.status_code == 403 and response.json()["type"].endswith("/forbidden")
    async with client(platform.url("registry"), "projects:write", unit_id=project["responsible_unit_id"]) as own:
        assert (await own.put(period, json={"amount": "1"})).status_code == 201


async def test_an_archived_project_takes_no_reports(registry, project):
    archived = await registry.post(f"/api/v1/projects/{project['id']}/archive", json={"reason": "调出名单"})
    assert archived.status_code == 200, archived.text
    response = await registry.put(url(project["id"], month(YEAR, 1)), json={"amount": "1"})
    assert response.status_code == 409 and response.json()["type"].endswith("/conflict")


# --- budgets of government-funded projects ----------------------------------------------------------------------

async def test_each_report_of_a_funded_project_announces_its_budget(registry, funded, registry_events):
    assert (await registry.put(url(funded["id"], month(YEAR - 1, 6)), json={"amount": "600"})).status_code == 201
    assert (await registry.put(url(funded["id"], month(YEAR - 1, 7)), json={"amount": "600"})).status_code == 201

    under, over = await published(registry_events, BudgetChanged, funded["id"], count=2)
    assert under == BudgetChanged(project_id=funded["id"], responsible_unit_id=funded["responsible_unit_id"],
                                  budget=Decimal("1000"), approved_adjustments=Decimal("0"),
                                  spent_to_date=Decimal("600"), overrun_ratio=Decimal("-0.4"),
                                  adjustment_approved=False)
    assert over.spent_to_date == Decimal("1200") and over.overrun_ratio == Decimal("0.2")
    budget = (await registry.get(f"/api/v1/projects/{funded['id']}/budget")).json()
    assert budget["spent_to_date"] == "1200" and Decimal(budget["overrun_ratio"]) == Decimal("0.2")
    assert budget["over_budget"] is True and budget["adjusted_budget"] == "1000"


async def test_spending_counts_every_year_and_corrections_replace(registry, funded, registry_events):
    period = month(YEAR - 1, 12)
    for when, amount in [(period, "700"), (month(YEAR, 1), "100"), (period, "400")]:
        response = await registry.put(url(funded["id"], when), json={"amount": amount})
        assert response.status_code in (200, 201), response.text
    events = await published(registry_events, BudgetChanged, funded["id"], count=3)
    assert [e.spent_to_date for e in events] == [Decimal("700"), Decimal("800"), Decimal("500")]
    assert events[-1].overrun_ratio == Decimal("-0.5")


async def test_an_approved_adjustment_raises_the_budget_and_is_announced(registry, funded, registry_events):
    await report(registry, funded["id"], month(YEAR - 1, 6), "1200")
    response = await registry.post(f"/api/v1/projects/{funded['id']}/budget-adjustments", json={
        "amount": "300", "reason": "追加配套道路工程", "approved_on": f"{YEAR - 1}-07-01"})
    assert response.status_code == 201, response.text
    adjustment = response.json()
    assert adjustment["amount"] == "300" and adjustment["approved_on"] == f"{YEAR - 1}-07-01"
    assert adjustment["reason"] == "追加配套道路工程" and adjustment["actor"] == "tests"

    reported, adjusted = await published(registry_events, BudgetChanged, funded["id"], count=2)
    assert reported.adjustment_approved is False and reported.overrun_ratio == Decimal("0.2")
    assert adjusted.adjustment_approved is True
    assert adjusted.approved_adjustments == Decimal("300") and adjusted.budget == Decimal("1000")
    assert adjusted.overrun_ratio == Decimal(1200) / Decimal(1300) - 1  # exact to 28 digits, not a float

    budget = (await registry.get(f"/api/v1/projects/{funded['id']}/budget")).json()
    assert budget["approved_adjustments"] == "300" and budget["adjusted_budget"] == "1300"
    assert budget["over_budget"] is False and [a["id"] for a in budget["adjustments"]] == [adjustment["id"]]
    entry = (await history_actions(registry, funded["id"]))[-1]
    assert entry["action"] == "budget_adjusted" and entry["note"] == "追加配套道路工程"
    assert entry["changes"] == {"approved_adjustments": {"before": "0", "after": "300"}}


async def test_a_project_that_is_not_government_funded_has_no_budget_events(registry, project, registry_events):
    await report(registry, project["id"], month(YEAR, 1), "5")
    response = await registry.post(f"/api/v1/projects/{project['id']}/budget-adjustments", json={
        "amount": "300", "reason": "追加", "approved_on": f"{YEAR}-01-01"})
    assert response.status_code == 409, response.text
    await report(registry, project["id"], month(YEAR, 1), "6")
    # one project's events are in order: a budget event of the first report would precede the second report
    await registry_events.wait_for(InvestmentReported, subject=project["id"], count=2)
    assert await registry_events.all(BudgetChanged, subject=project["id"]) == []
    budget = (await registry.get(f"/api/v1/projects/{project['id']}/budget")).json()
    assert budget["government_funded"] is False and budget["budget"] is None
    assert budget["spent_to_date"] == "6" and budget["overrun_ratio"] is None


async def test_a_funded_project_without_a_budget_gets_one_through_an_adjustment(registry, registry_events):
    unit = await create_unit(registry)
    bare = await create_project(registry, unit["id"], year=YEAR, government_funded=True)
    await report(registry, bare["id"], month(YEAR, 1), "50")
    adjusted = await registry.post(f"/api/v1/projects/{bare['id']}/budget-adjustments", json={
        "amount": "200", "reason": "首次核定预算", "approved_on": f"{YEAR}-01-01"})
    assert adjusted.status_code == 201, adjusted.text
    [event] = await published(registry_events, BudgetChanged, bare["id"])
    assert event.budget == Decimal("0") and event.approved_adjustments == Decimal("200")
    assert event.overrun_ratio == Decimal("-0.75") and event.adjustment_approved is True


async def test_only_an_admin_approves_adjustments(platform, funded):
    body = {"amount": "300", "reason": "追加", "approved_on": f"{YEAR}-01-01"}
    path = f"/api/v1/projects/{funded['id']}/budget-adjustments"
    async with client(platform.url("registry"), "projects:write") as writer:
        assert (await writer.post(path, json=body)).status_code == 403
    async with client(platform.url("registry"), "admin", unit_id="another-unit") as bound_admin:
        assert (await bound_admin.post(path, json=body)).status_code == 403
    async with client(platform.url("registry"), "projects:read") as reader:
        assert (await reader.get(f"/api/v1/projects/{funded['id']}/budget")).status_code == 200


@pytest.mark.parametrize("change, field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "1.0000001"}, "amount"),
    ({"amount": "99999999999999"}, "amount"),
    ({"reason": ""}, "reason"),
    ({"reason": None}, "reason"),
    ({"approved_on": "2026-02-30"}, "approved_on"),
    ({"approved_on": next_month(TODAY) + "-01"}, "approved_on"),
    ({"approver": "x"}, "approver"),
])
async def test_a_bad_adjustment_is_422_naming_the_field(registry, funded, change, field):
    body = {"amount": "300", "reason": "追加", "approved_on": f"{YEAR}-01-01", **change}
    response = await registry.post(f"/api/v1/projects/{funded['id']}/budget-adjustments", json=body)
    assert field in field_names(response)


async def test_an_adjustment_with_the_same_idempotency_key_is_recorded_once(registry, funded):
    path = f"/api/v1/projects/{funded['id']}/budget-adjustments"
    body = {"amount": "300", "reason": "追加", "approved_on": f"{YEAR}-01-01"}
    first = await registry.post(path, json=body, headers={"Idempotency-Key": "adj-1"})
    again = await registry.post(path, json=body, headers={"Idempotency-Key": "adj-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = await registry.post(path, json={**body, "amount": "1"}, headers={"Idempotency-Key": "adj-1"})
    assert other.status_code == 422  # reused with another body
    budget = (await registry.get(f"/api/v1/projects/{funded['id']}/budget")).json()
    assert budget["approved_adjustments"] == "300"

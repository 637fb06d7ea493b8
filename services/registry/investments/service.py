"""Investment and budget use-cases: monthly upserts, year-to-date sums, budget adjustments. Never commit."""
import re
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import BudgetChanged, InvestmentReported
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from kit.outbox import WritesWithEvent
from services.registry import history
from services.registry.events import SOURCE, publish
from services.registry.investments.schemas import BudgetAdjustmentCreate
from services.registry.models import BudgetAdjustment, Investment, Project
from services.registry.projects.service import get, get_writable, writable

PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # ASCII digits only (\d takes ٢٠٢٦ for 2026); fullmatch
ZERO = Decimal(0)


def money_text(amount: Decimal | None) -> str | None:
    """An amount as history shows it: plain digits, no exponent, no trailing zeros."""
    if amount is None:
        return None
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def checked_period(*, period: str, project: Project, today: date) -> tuple[str, int]:
    """A YYYY-MM period the project may report (not after this month, not before the project's year), as the one
    text it is stored under, and its year."""
    match = PERIOD.fullmatch(period)
    if match is None:
        raise Invalid("the period is not a month", errors=[field_error("period", f"'{period}' is not YYYY-MM")])
    year, month = int(match.group(1)), int(match.group(2))
    if (year, month) > (today.year, today.month):
        raise Invalid("the period is in the future",
                      errors=[field_error("period", f"{period} is after the current month {today:%Y-%m}")])
    if year < project.year:
        raise Invalid("the period is before the project's year",
                      errors=[field_error("period", f"{period} is before the project's year {project.year}")])
    return f"{year:04d}-{month:02d}", year


def _sum(*where):
    return (select(func.coalesce(func.sum(Investment.amount), 0, type_=Investment.amount.type))
            .where(Investment.project_id == bindparam("project_id"), *where).scalar_subquery())


# One write of a project's months at a time: the project row is locked first, and what the write depends on is read
# after it, by a statement of its own (read in the locking statement, it could predate a write the lock waited for).
_PROJECT = select(Project.id, Project.year, Project.responsible_unit_id, Project.archived,
                  Project.annual_plan_investment, Project.government_funded, Project.budget).where(
    Project.id == bindparam("project_id")).with_for_update()
_month = select(Investment.amount, Investment.updated_at).where(
    Investment.project_id == bindparam("project_id"), Investment.period == bindparam("period")).subquery()
# The month's figure and the sums before this report.
_MONTH_AND_SUMS = select(
    select(_month.c.amount).scalar_subquery().label("previous"),
    select(_month.c.updated_at).scalar_subquery().label("previous_at"),
    _sum(Investment.year == bindparam("year")).label("ytd"), _sum().label("cumulative"))
_history = history.written_entry(project_id=bindparam("m_project_id"), at=bindparam("m_updated_at"))
_NEW_MONTH = WritesWithEvent(insert(Investment).values(
    project_id=bindparam("m_project_id"), period=bindparam("m_period"), year=bindparam("m_year"),
    amount=bindparam("m_amount"), updated_at=bindparam("m_updated_at")), _history)
_CORRECTED_MONTH = WritesWithEvent(update(Investment).where(
    Investment.project_id == bindparam("m_project_id"), Investment.period == bindparam("m_period"))
    .values(amount=bindparam("m_amount"), updated_at=bindparam("m_updated_at")), _history)


async def report(*, session: AsyncSession, project_id: str, period: str, amount: Decimal, principal: Principal,
                 today: date, origin: str | None = None) -> tuple[dict, bool]:
    """Records (or corrects) one month's completed investment and announces it; True when the month is new.
    `origin` names where the figure came from (an approved reporting round), in the history and the event."""
    project = (await session.execute(_PROJECT, {"project_id": project_id})).one_or_none()
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    writable(project, principal)
    period, year = checked_period(period=period, project=project, today=today)
    month = (await session.execute(_MONTH_AND_SUMS, {"project_id": project_id, "period": period,
                                                     "year": year})).one()
    previous = month.previous
    if previous == amount:  # the same figure again: nothing to record or announce
        return _reported(project, period, year, amount, month.previous_at, previous_amount=None, ytd=month.ytd,
                         cumulative=month.cumulative), False
    created, now = previous is None, utcnow()
    unreported = previous or ZERO
    state = _reported(project, period, year, amount, now, previous_amount=previous,
                      ytd=month.ytd - unreported + amount, cumulative=month.cumulative - unreported + amount)
    await (_NEW_MONTH if created else _CORRECTED_MONTH).execute(session, {
        "m_project_id": project_id, "m_period": period, "m_year": year, "m_amount": amount, "m_updated_at": now,
        "h_actor": principal.subject, "h_action": "investment_reported" if created else "investment_corrected",
        "h_changes": {f"investments.{period}": {"before": money_text(previous), "after": money_text(amount)}},
        "h_note": origin}, InvestmentReported.model_validate({**state, "origin": origin}), subject=project_id,
        source=SOURCE)
    if project.government_funded:
        await announce_budget(session=session, project=project, adjustment_approved=False)
    return state, created


def _reported(project, period: str, year: int, amount: Decimal, updated_at, *, previous_amount: Decimal | None,
              ytd: Decimal, cumulative: Decimal) -> dict:
    return {"project_id": project.id, "responsible_unit_id": project.responsible_unit_id, "period": period,
            "year": year, "amount": amount, "previous_amount": previous_amount, "ytd_investment": ytd,
            "cumulative_investment": cumulative, "annual_plan_investment": project.annual_plan_investment,
            "updated_at": updated_at}


async def list_months(*, session: AsyncSession, project_id: str) -> dict:
    """Lists a project's reported months, oldest first, with running year-to-date sums and per-year totals."""
    project = await get(session=session, project_id=project_id)
    rows = (await session.scalars(
        select(Investment).where(Investment.project_id == project_id).order_by(Investment.period))).all()
    items, years, cumulative = [], {}, ZERO
    for row in rows:
        year = years.setdefault(row.year, {"year": row.year, "ytd_investment": ZERO, "months_reported": 0})
        year["ytd_investment"] += row.amount
        year["months_reported"] += 1
        cumulative += row.amount
        items.append({"period": row.period, "year": row.year, "amount": row.amount,
                      "ytd_investment": year["ytd_investment"], "updated_at": row.updated_at})
    plan = project.annual_plan_investment
    for year in years.values():
        own_year = year["year"] == project.year and plan > 0
        year["completion_rate"] = year["ytd_investment"] / plan if own_year else None
    return {"project_id": project_id, "annual_plan_investment": plan, "cumulative_investment": cumulative,
            "years": list(years.values()), "items": items}


async def budget_of(*, session: AsyncSession, project: Project) -> dict:
    """The project's budget, approved adjustments, spending to date and overrun ratio."""
    adjustments = list((await session.scalars(
        select(BudgetAdjustment).where(BudgetAdjustment.project_id == project.id)
        .order_by(BudgetAdjustment.approved_on, BudgetAdjustment.at))).all())
    approved = sum((a.amount for a in adjustments), ZERO)
    spent = await session.scalar(
        select(func.coalesce(func.sum(Investment.amount), 0)).where(Investment.project_id == project.id)) or ZERO
    adjusted = (project.budget or ZERO) + approved
    ratio = spent / adjusted - 1 if adjusted > 0 else None
    return {"project_id": project.id, "government_funded": project.government_funded, "budget": project.budget,
            "approved_adjustments": approved, "adjusted_budget": adjusted, "spent_to_date": spent,
            "overrun_ratio": ratio, "over_budget": ratio is not None and ratio > 0, "adjustments": adjustments}


async def announce_budget(*, session: AsyncSession, project: Project, adjustment_approved: bool) -> None:
    """Publishes the budget figures of a government-funded project; without any budget there is no ratio to tell."""
    budget = await budget_of(session=session, project=project)
    if budget["overrun_ratio"] is None:
        return
    await publish(session, BudgetChanged(
        project_id=project.id, responsible_unit_id=project.responsible_unit_id, budget=budget["budget"] or ZERO,
        approved_adjustments=budget["approved_adjustments"], spent_to_date=budget["spent_to_date"],
        overrun_ratio=budget["overrun_ratio"], adjustment_approved=adjustment_approved), subject=project.id)


async def get_budget(*, session: AsyncSession, project_id: str) -> dict:
    """Gets the budget view of a project."""
    return await budget_of(session=session, project=await get(session=session, project_id=project_id))


async def adjust_budget(*, session: AsyncSession, project_id: str, adjustment_in: BudgetAdjustmentCreate,
                        principal: Principal, today: date) -> BudgetAdjustment:
    """Records an approved budget adjustment of a government-funded project and announces the new figures."""
    project = await get_writable(session=session, project_id=project_id, principal=principal)
    if not project.government_funded:
        raise Conflict(f"project {project_id} is not government-funded and has no budget to adjust")
    if adjustment_in.approved_on > today:
        raise Invalid("the approval date is in the future",
                      errors=[field_error("approved_on", f"{adjustment_in.approved_on} is after today {today}")])
    before = (await budget_of(session=session, project=project))["approved_adjustments"]
    adjustment = BudgetAdjustment(id=str(uuid.uuid4()), project_id=project_id, **adjustment_in.model_dump(),
                                  actor=principal.subject, at=utcnow())
    session.add(adjustment)
    await session.flush()
    await history.record(session, project_id=project_id, actor=principal.subject, action="budget_adjusted",
                         changes={"approved_adjustments": {"before": money_text(before),
                                                           "after": money_text(before + adjustment_in.amount)}},
                         note=adjustment_in.reason)
    await announce_budget(session=session, project=project, adjustment_approved=True)
    return adjustment

"""Reporting timeliness read from the rounds the registry announced and the projects on the list at the month's end."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.errors import NotFound
from services.reports.figures import decimal_of, percent, rate
from services.reports.models import ProjectView, RoundReportView, RoundView, UnitView
from services.reports.periods import last_day
from services.reports.reporting.schemas import Timeliness, UnitTimeliness
from services.reports.sources import counted


async def _due(session: AsyncSession, round_: RoundView) -> tuple[list, dict]:
    """The projects a round expected - on the list of its year at the month's end, suspended ones excepted - and the
    reports it got, by project."""
    projects = (await session.execute(select(ProjectView.id, ProjectView.unit_id, ProjectView.name).where(
        counted(last_day(round_.period)), ProjectView.year == round_.year,
        (ProjectView.grade.is_(None)) | (ProjectView.grade != "suspended")))).all()
    reports = {r.project_id: r for r in (await session.scalars(select(RoundReportView).where(
        RoundReportView.round_id == round_.id))).all()}
    return projects, reports


async def on_time_by_unit(session: AsyncSession, *, year: int, as_of: date) -> dict[str, tuple[int, int]]:
    """Per unit, over the year's rounds whose deadline had passed by `as_of`: (reports on time, reports due) - the
    reporting timeliness the rankings can rank by (reporting_on_time_rate)."""
    counts: dict[str, tuple[int, int]] = {}
    for round_ in (await session.scalars(select(RoundView).where(RoundView.year == year,
                                                                 RoundView.deadline < as_of))).all():
        projects, reports = await _due(session, round_)
        for project in projects:
            on_time, due = counts.get(project.unit_id, (0, 0))
            report = reports.get(project.id)
            counts[project.unit_id] = (on_time + (report is not None and not report.late), due + 1)
    return counts


async def timeliness(session: AsyncSession, period: str) -> Timeliness:
    """Per unit: its projects on the list at the month's end (suspended ones excepted), reported on time, late, not
    at all (未报); units ranked by their on-time rate, most missing last."""
    round_ = (await session.scalars(select(RoundView).where(RoundView.period == period))).first()
    if round_ is None:
        raise NotFound(f"no reporting round of {period} has been opened")
    projects, reports = await _due(session, round_)
    names = dict((await session.execute(select(UnitView.id, UnitView.name))).tuples().all())
    units: dict[str, dict] = {}
    for project in projects:
        entry = units.setdefault(project.unit_id, {"expected": 0, "on_time": 0, "late": 0, "missing": 0,
                                                   "approved": 0, "missing_projects": []})
        entry["expected"] += 1
        report = reports.get(project.id)
        if report is None:
            entry["missing"] += 1
            entry["missing_projects"].append(project.name)
        else:
            entry["late" if report.late else "on_time"] += 1
            entry["approved"] += report.status == "approved"
    rows = []
    for unit_id, entry in units.items():
        on_time = rate(entry["on_time"], entry["expected"])
        rows.append(UnitTimeliness(unit_id=unit_id, unit_name=names.get(unit_id, unit_id), **entry,
                                   on_time_rate=decimal_of(on_time), on_time_rate_percent=percent(on_time)))
    rows.sort(key=lambda r: (-(r.on_time_rate or 0), r.missing, r.unit_name))
    return Timeliness(period=period, deadline=round_.deadline, expected=sum(r.expected for r in rows),
                      on_time=sum(r.on_time for r in rows), late=sum(r.late for r in rows),
                      missing=sum(r.missing for r in rows), units=rows)

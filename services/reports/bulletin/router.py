"""GET /reports/bulletin/{YYYY-MM}: the month's bulletin as DOCX (the default) or Markdown, by ?format= or Accept."""
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from kit.errors import NotFound

from services.reports.bulletin import content, render, word
from services.reports.dependencies import ReadSession, Reader, Settings, Today
from services.reports.exports import service as exports
from services.reports.models import ProjectView, SuspensionView, UnitView
from services.reports.periods import MONTH_PATTERN, first_day, last_day
from services.reports.reporting import service as reporting
from services.reports.snapshots import service as snapshots
from services.reports.snapshots.schemas import FrozenProject

router = APIRouter(tags=["reports"])
MARKDOWN_MEDIA_TYPE = "text/markdown; charset=utf-8"


class BulletinFormat(StrEnum):
    docx = "docx"
    md = "md"


def _format(request: Request, asked: BulletinFormat | None) -> BulletinFormat:
    if asked is not None:
        return asked
    return BulletinFormat.md if "text/markdown" in request.headers.get("accept", "").lower() else BulletinFormat.docx


async def episodes(session, period: str) -> tuple[list[content.SuspensionLine], list[content.SuspensionLine]]:
    """Suspensions that took effect in the month, and resumptions in it."""
    first, last = first_day(period), last_day(period)
    rows = (await session.execute(select(SuspensionView, ProjectView.name, UnitView.name.label("unit_name"))
                                  .join(ProjectView, ProjectView.id == SuspensionView.project_id, isouter=True)
                                  .join(UnitView, UnitView.id == SuspensionView.unit_id, isouter=True)
                                  .order_by(SuspensionView.suspended_on, SuspensionView.id))).all()

    def line(row) -> content.SuspensionLine:
        episode = row[0]
        return content.SuspensionLine(project=row.name or episode.project_id, unit=row.unit_name or "",
                                      suspended_on=f"{episode.suspended_on.month}月{episode.suspended_on.day}日",
                                      resumed_on=f"{episode.resumed_on.month}月{episode.resumed_on.day}日"
                                      if episode.resumed_on else None)

    suspended = [line(r) for r in rows if first <= r[0].suspended_on <= last]
    resumed = [line(r) for r in rows if r[0].resumed_on and first <= r[0].resumed_on <= last]
    return suspended, resumed


@router.get("/reports/bulletin/{period}", response_class=Response,
            responses={200: {"content": {word.DOCX_MEDIA_TYPE: {}, "text/markdown": {}}}})
async def bulletin(period: Annotated[str, Path(pattern=MONTH_PATTERN)], request: Request, session: ReadSession,
                   _: Reader, settings: Settings, today: Today,
                   format: Annotated[BulletinFormat | None, Query(description="docx or md; overrides Accept")] = None):
    """The month's bulletin (调度通报), written from its snapshot by the office's template."""
    report = await exports.monthly(session=session, period=period, today=today,
                                   target_rounding=settings.target_rounding)
    frozen = [FrozenProject.model_validate(p) for p in await snapshots.frozen_projects(session, period)]
    try:
        reporting_ = await reporting.timeliness(session, period)
    except NotFound:
        reporting_ = None  # no round was opened for the month
    suspended, resumed = await episodes(session, period)
    text = render.markdown(content.context(report, frozen, ranked=settings.bulletin_ranked,
                                           plan_threshold=settings.bulletin_plan_threshold, reporting=reporting_,
                                           suspended=suspended, resumed=resumed),
                           settings.bulletin_template)
    year, month = period.split("-")
    name = quote(f"{year}年重点项目{int(month)}月调度通报")
    chosen = _format(request, format)
    body, media_type = (word.to_docx(text), word.DOCX_MEDIA_TYPE) if chosen is BulletinFormat.docx else \
        (text.encode(), MARKDOWN_MEDIA_TYPE)
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"bulletin-{period}.{chosen.value}\"; "
                               f"filename*=UTF-8''{name}.{chosen.value}"})

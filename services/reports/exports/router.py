"""Periodic report endpoints: JSON, CSV or XLSX, chosen by ?format= or else by Accept."""
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from services.reports.dependencies import ReadSession, Reader, Settings, Today
from services.reports.exports import formats, service
from services.reports.exports.schemas import Format, MonthlyReport, RollUp
from services.reports.periods import MAX_YEAR, MIN_YEAR, MONTH_PATTERN, QUARTER_PATTERN

router = APIRouter(tags=["reports"])
FormatQuery = Annotated[Format | None, Query(description="json, csv or xlsx; overrides Accept")]
RESPONSES = {200: {"content": {"text/csv": {}, formats.XLSX_MEDIA_TYPE: {}}}}


def chosen_format(request: Request, asked: Format | None) -> Format:
    if asked is not None:
        return asked
    accept = request.headers.get("accept", "").lower()
    if "spreadsheetml" in accept:
        return Format.xlsx
    if "text/csv" in accept:
        return Format.csv
    return Format.json


def _respond(document: MonthlyReport | RollUp, tables: list[formats.Table], fmt: Format, name: str) -> Response:
    if fmt == Format.json:
        return JSONResponse(document.model_dump(mode="json"))
    if fmt == Format.csv:
        content, media_type = formats.to_csv(tables), formats.CSV_MEDIA_TYPE
    else:
        content, media_type = formats.to_xlsx(tables), formats.XLSX_MEDIA_TYPE
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt.value}"'})


@router.get("/reports/monthly/{period}", response_model=MonthlyReport, responses=RESPONSES)
async def monthly_report(period: Annotated[str, Path(pattern=MONTH_PATTERN)], request: Request,
                         session: ReadSession, _: Reader, settings: Settings, today: Today,
                         format: FormatQuery = None):
    """The month's report from its frozen snapshot: overview, ranking, lagging projects, targets."""
    report = await service.monthly(session=session, period=period, today=today,
                                   target_rounding=settings.target_rounding)
    return _respond(report, formats.monthly_tables(report), chosen_format(request, format), f"report-{period}")


@router.get("/reports/quarterly/{quarter}", response_model=RollUp, responses=RESPONSES)
async def quarterly_report(quarter: Annotated[str, Path(pattern=QUARTER_PATTERN)], request: Request,
                           session: ReadSession, _: Reader, settings: Settings, today: Today,
                           format: FormatQuery = None):
    """The quarter (季分析) month by month from the snapshots, with its investment and the last month's report."""
    roll_up = await service.quarterly(session=session, quarter=quarter, today=today,
                                      target_rounding=settings.target_rounding)
    return _respond(roll_up, formats.roll_up_tables(roll_up), chosen_format(request, format), f"report-{quarter}")


@router.get("/reports/yearly/{year}", response_model=RollUp, responses=RESPONSES)
async def yearly_report(year: Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)], request: Request,
                        session: ReadSession, _: Reader, settings: Settings, today: Today,
                        format: FormatQuery = None):
    """The year (年总结) month by month from the snapshots, with the last month's report."""
    roll_up = await service.yearly(session=session, year=year, today=today,
                                   target_rounding=settings.target_rounding)
    return _respond(roll_up, formats.roll_up_tables(roll_up), chosen_format(request, format), f"report-{year}")

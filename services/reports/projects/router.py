"""Project list endpoint: the projects behind each figure of the overview."""
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from contracts.alerts import Colour
from contracts.registry import Bracket, CategoryKey, Level, Sector, Stage, StatisticsStatus
from kit.pagination import Page, PageParams, page_params
from services.reports.dependencies import IncludeDescendants, ReadSession, Reader, Settings, Today, UnitId, Year
from services.reports.projects import service
from services.reports.projects.schemas import ProjectFigures, ThreeClass

router = APIRouter(tags=["projects"])
Pagination = Annotated[PageParams, Depends(page_params)]
GradeFilter = Annotated[str | None, Query(pattern=r"^(faster|normal|warning|lagging|unrated)$")]


@router.get("/projects", response_model=Page[ProjectFigures])
async def list_projects(session: ReadSession, _: Reader, today: Today, settings: Settings, page: Pagination,
                        year: Year = None,
                        unit_id: UnitId = None, colour: Colour | None = None, grade: GradeFilter = None,
                        three_class: ThreeClass | None = None, stage: Stage | None = None,
                        sector: Sector | None = None, category: CategoryKey | None = None, level: Level | None = None,
                        bracket: Bracket | None = None, statistics: StatisticsStatus | None = None,
                        started: bool | None = None, completed: bool | None = None,
                        real_started: bool | None = None, late_nodes: bool | None = None,
                        government_funded: bool | None = None, concentrated_start: bool | None = None,
                        q: Annotated[str | None, Query(max_length=100)] = None,
                        deployment: Annotated[str | None, Query(max_length=200, description=(
                            "a district's projects at the city: its events' source prefix, as GET /rollup lists "
                            "it"))] = None,
                        include_descendants: IncludeDescendants = True):
    """The live projects counted by a figure, e.g. colour=red, three_class=land_without_start, started=false; a
    unit's with those of the units below it unless include_descendants=false; a district's (`deployment`)."""
    filters = {"year": year, "unit_id": unit_id, "colour": colour, "grade": grade, "three_class": three_class,
               "stage": stage, "sector": sector, "category": category, "level": level, "bracket": bracket,
               "statistics_status": statistics, "started": started, "completed": completed,
               "real_started": real_started, "late_nodes": late_nodes, "government_funded": government_funded,
               "concentrated_start": concentrated_start, "q": q, "deployment": deployment,
               "own_deployment": settings.event_source_prefix}
    items, cursor = await service.list_(session=session, filters=filters, params=page, today=today,
                                        include_descendants=include_descendants)
    return Page(items=items, next_cursor=cursor)

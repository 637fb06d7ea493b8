"""Alert endpoints: list, read with history, acknowledge; a project's status."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from contracts.alerts import AlertStatus, Colour, message_on
from kit.app import SessionDep
from kit.clock import today
from kit.pagination import Page, PageParams, page_params
from services.alerts.access import AlertWriter, Reader
from services.alerts.alerting import service
from services.alerts.alerting.schemas import (Acknowledgement, AlertChangePublic, AlertDetail, AlertPublic,
                                              ProjectStatusPublic)

router = APIRouter(tags=["alerts"])
Pagination = Annotated[PageParams, Depends(page_params)]


async def public(session, alerts: list) -> list[AlertPublic]:
    """Alerts with their messages for the day each is shown as of."""
    days = await service.shown_on(session=session, alerts=alerts)
    return [AlertPublic.model_validate(a, from_attributes=True).model_copy(update={
        "as_of": day, "message": message_on(a.wording, a.message, a.as_of, day)}) for a, day in zip(alerts, days)]


@router.get("/alerts", response_model=Page[AlertPublic])
async def list_alerts(session: SessionDep, _: Reader, page: Pagination, colour: Colour | None = None,
                      rule: str | None = None, unit_id: str | None = None, project_id: str | None = None,
                      parcel_id: str | None = None, status: AlertStatus | None = None, active: bool | None = None):
    filters = {"colour": colour, "rule": rule, "unit_id": unit_id, "project_id": project_id, "parcel_id": parcel_id,
               "status": status}
    items, cursor = await service.list_(session=session, params=page, filters=filters, active=active)
    return Page(items=await public(session, items), next_cursor=cursor)


@router.get("/alerts/{alert_id}", response_model=AlertDetail)
async def get_alert(alert_id: str, session: SessionDep, _: Reader):
    alert = await service.get(session=session, alert_id=alert_id)
    changes = await service.history(session=session, alert_id=alert_id)
    [shown] = await public(session, [alert])
    return AlertDetail(**shown.model_dump(),
                       history=[AlertChangePublic.model_validate(c, from_attributes=True) for c in changes])


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertPublic)
async def acknowledge_alert(alert_id: str, body: Acknowledgement, session: SessionDep, principal: AlertWriter,
                            request: Request):
    alert = await service.acknowledge(session=session, alert_id=alert_id, note=body.note, principal=principal,
                                      today=today(request.app.state.settings))
    [shown] = await public(session, [alert])
    return shown


@router.get("/projects/{project_id}/status", response_model=ProjectStatusPublic)
async def project_status(project_id: str, session: SessionDep, _: Reader, request: Request):
    state = await service.project_status(session=session, project_id=project_id,
                                         today=today(request.app.state.settings))
    return ProjectStatusPublic(**{**state, "alerts": await public(session, state["alerts"])})


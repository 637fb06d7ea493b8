"""Rule settings endpoints: list, read, change (admin, If-Match optional), the recorded versions."""
from typing import Annotated

from fastapi import APIRouter, Header, Response

from kit.app import SessionDep
from kit.conditional import admitted_versions, etag
from services.alerts.access import Admin, Reader
from services.alerts.configuration import service
from services.alerts.configuration.schemas import RuleChangePublic, RulePublic, RuleUpdate

router = APIRouter(tags=["rules"])


def public(setting: service.Setting) -> RulePublic:
    entry = service.ENTRIES[setting.name]
    return RulePublic(name=setting.name, title=entry.title, kind=entry.kind, subject=entry.subject,
                      enabled=setting.enabled, opens_task=setting.opens_task,
                      thresholds=setting.thresholds.model_dump(mode="json"),
                      defaults=entry.model().model_dump(mode="json"), version=setting.version,
                      updated_by=setting.updated_by, updated_at=setting.updated_at)


@router.get("/rules", response_model=list[RulePublic])
async def list_rules(session: SessionDep, _: Reader):
    configuration = await service.load(session=session)
    return [public(s) for s in configuration.settings.values()]


@router.get("/rules/{name}", response_model=RulePublic)
async def get_rule(name: str, session: SessionDep, _: Reader, response: Response):
    service.entry(name)
    setting = (await service.load(session=session)).settings[name]
    response.headers["ETag"] = etag(setting.version)
    return public(setting)


async def update_rule(name: str, body: RuleUpdate, session: SessionDep, principal: Admin, response: Response,
                      if_match: Annotated[str | None, Header(alias="If-Match")] = None):
    """Change the fields sent (thresholds merged into the current ones); PUT and PATCH do the same."""
    setting = await service.update(session=session, name=name, enabled=body.enabled, opens_task=body.opens_task,
                                   thresholds=body.thresholds, note=body.note, actor=principal.subject,
                                   admitted_versions=admitted_versions(if_match, required=False,
                                                                       what=f"rule {name}"))
    response.headers["ETag"] = etag(setting.version)
    return public(setting)


# one operation per method, each with its own operation id (a route with two methods would share one)
for _method in ("PUT", "PATCH"):
    router.add_api_route("/rules/{name}", update_rule, methods=[_method], response_model=RulePublic,
                         operation_id=f"{_method.lower()}_rule")


@router.get("/rules/{name}/changes", response_model=list[RuleChangePublic])
async def list_rule_changes(name: str, session: SessionDep, _: Reader):
    return [RuleChangePublic.model_validate(c, from_attributes=True)
            for c in await service.list_changes(session=session, name=name)]

"""Webhook endpoints: subscribe, list, read, unsubscribe, the delivery log (admin)."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from kit.app import SessionDep, url_for
from kit.errors import Invalid, field_error
from kit.idempotency import IdempotencyKey, create_once
from kit.pagination import Page, PageParams, page_params
from services.alerts.access import Admin
from services.alerts.webhooks import destinations, service
from services.alerts.webhooks.schemas import (DeliveryPublic, SubscriptionCreate, SubscriptionCreated,
                                              SubscriptionPublic)

router = APIRouter(tags=["webhooks"])
Pagination = Annotated[PageParams, Depends(page_params)]


@router.post("/webhooks", status_code=201, response_model=SubscriptionCreated)
async def subscribe(body: SubscriptionCreate, session: SessionDep, principal: Admin, request: Request,
                    idempotency_key: IdempotencyKey = None):
    allowed = destinations.networks(request.app.state.settings.webhook_allowed_networks)
    reason = await destinations.refused(str(body.url), allowed, unresolved_ok=True)
    if reason is not None:
        raise Invalid("webhooks are not delivered to internal addresses (KP_WEBHOOK_ALLOWED_NETWORKS allows a network)",
                      errors=[field_error("url", reason)])

    async def create():
        return SubscriptionCreated.model_validate(
            await service.subscribe(session=session, subscription_in=body, actor=principal.subject))

    return await create_once(session, key=idempotency_key, scope="webhooks", request_body=body, create=create,
                             location=lambda b: url_for(request, "get_subscription", subscription_id=b["id"]))


@router.get("/webhooks", response_model=Page[SubscriptionPublic])
async def list_subscriptions(session: SessionDep, _: Admin, page: Pagination):
    items, cursor = await service.list_(session=session, params=page)
    return Page(items=[SubscriptionPublic.model_validate(i) for i in items], next_cursor=cursor)


@router.get("/webhooks/{subscription_id}", response_model=SubscriptionPublic)
async def get_subscription(subscription_id: str, session: SessionDep, _: Admin):
    return SubscriptionPublic.model_validate(await service.get(session=session, subscription_id=subscription_id))


@router.delete("/webhooks/{subscription_id}", status_code=204)
async def unsubscribe(subscription_id: str, session: SessionDep, _: Admin):
    await service.unsubscribe(session=session, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get("/webhooks/{subscription_id}/deliveries", response_model=Page[DeliveryPublic])
async def list_deliveries(subscription_id: str, session: SessionDep, _: Admin, page: Pagination,
                          pending: bool | None = None):
    items, cursor = await service.deliveries(session=session, subscription_id=subscription_id, params=page,
                                             pending=pending)
    return Page(items=[DeliveryPublic.model_validate(i) for i in items], next_cursor=cursor)

"""Webhook use-cases: subscribe, list, unsubscribe, read the delivery log, and owe events to subscribers. Never commit."""
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import CloudEvent, encode
from kit.clock import utcnow
from kit.errors import NotFound
from kit.pagination import PageParams, keyset, page_of
from services.alerts.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from services.alerts.webhooks.schemas import SubscriptionCreate

_CACHE = "webhook_subscriptions"
_ENQUEUED = "webhook_enqueued"
SIGNATURE_HEADER = "X-KP-Signature"
TIMESTAMP_HEADER = "X-KP-Timestamp"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": a receiver checks both, so an old delivery cannot be replayed as new."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def matches(subscription: WebhookSubscription, cloud_event: CloudEvent) -> bool:
    """The event is of a subscribed type and passes every filter given."""
    if cloud_event.type not in subscription.event_types:
        return False
    data = cloud_event.data
    for field, allowed in (subscription.filters or {}).items():
        if not allowed:
            continue
        value = data.get("colour") or data.get("to_colour") if field == "colour" else data.get(field)
        if value not in allowed:
            return False
    return True


async def _active(session: AsyncSession) -> list[WebhookSubscription]:
    if _CACHE not in session.info:
        session.info[_CACHE] = list((await session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))).all())
    return session.info[_CACHE]


async def enqueue(session: AsyncSession, cloud_events: list[CloudEvent]) -> int:
    """Owe each event to every subscription that wants it, in the event's own transaction (nothing lost)."""
    subscriptions = await _active(session)
    if not subscriptions:
        return 0
    now = utcnow()
    rows = [{"subscription_id": s.id, "event_id": e.id, "event_type": e.type, "body": encode(e), "attempts": 0,
             "created_at": now}
            for e in cloud_events for s in subscriptions if matches(s, e)]
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
        session.info[_ENQUEUED] = True
    return len(rows)


def enqueued(session) -> bool:
    return bool(session.info.pop(_ENQUEUED, False))


async def subscribe(*, session: AsyncSession, subscription_in: SubscriptionCreate, actor: str) -> dict:
    """Subscribes a URL to event types with filters; the secret (given or generated) signs every delivery."""
    row = WebhookSubscription(
        id=str(uuid.uuid4()), url=str(subscription_in.url), secret=subscription_in.secret or secrets.token_hex(32),
        event_types=subscription_in.event_types,
        filters=subscription_in.filters.model_dump(mode="json", exclude_none=True),
        description=subscription_in.description, active=True, failures=0, created_by=actor, created_at=utcnow())
    session.add(row)
    await session.flush()
    session.info.pop(_CACHE, None)
    return {**_public(row), "secret": row.secret}


def _public(row: WebhookSubscription, pending: int = 0) -> dict:
    return {"id": row.id, "url": row.url, "event_types": row.event_types, "filters": row.filters,
            "description": row.description, "active": row.active, "failures": row.failures,
            "retry_at": row.retry_at, "pending": pending, "created_at": row.created_at}


async def _pending(session: AsyncSession, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = await session.execute(
        select(WebhookDelivery.subscription_id, func.count()).where(
            WebhookDelivery.subscription_id.in_(ids), WebhookDelivery.delivered_at.is_(None))
        .group_by(WebhookDelivery.subscription_id))
    return dict(rows.all())


async def get(*, session: AsyncSession, subscription_id: str) -> dict:
    """Gets a subscription with how many deliveries it still waits for."""
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound(f"webhook subscription {subscription_id} does not exist")
    return _public(row, (await _pending(session, [row.id])).get(row.id, 0))


async def list_(*, session: AsyncSession, params: PageParams) -> tuple[list[dict], str | None]:
    """Lists subscriptions, newest first."""
    query = select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
    rows = list((await session.scalars(keyset(query, key=WebhookSubscription.id, sort=WebhookSubscription.created_at,
                                                params=params, descending=True))).all())
    rows, cursor = page_of(rows, params, keys=lambda r: [r.created_at, r.id])
    pending = await _pending(session, [r.id for r in rows])
    return [_public(r, pending.get(r.id, 0)) for r in rows], cursor


async def unsubscribe(*, session: AsyncSession, subscription_id: str) -> None:
    """Stops a subscription: nothing more is owed or sent to it; its log is kept."""
    await get(session=session, subscription_id=subscription_id)
    await session.execute(update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                          .values(active=False))


async def deliveries(*, session: AsyncSession, subscription_id: str, params: PageParams,
                     pending: bool | None) -> tuple[list[dict], str | None]:
    """The delivery log of a subscription, newest first, each delivery with its attempts."""
    await get(session=session, subscription_id=subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if pending is not None:
        query = query.where(WebhookDelivery.delivered_at.is_(None) if pending
                            else WebhookDelivery.delivered_at.is_not(None))
    rows = list((await session.scalars(keyset(query, key=WebhookDelivery.id, params=params, descending=True))).all())
    rows, cursor = page_of(rows, params, keys=lambda r: [r.id])
    attempts: dict[int, list] = {}
    if rows:
        for attempt in (await session.scalars(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_([r.id for r in rows])).order_by(WebhookAttempt.id))).all():
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return [{"id": r.id, "event_id": r.event_id, "event_type": r.event_type, "attempts": r.attempts,
             "last_status": r.last_status, "last_error": r.last_error, "created_at": r.created_at,
             "delivered_at": r.delivered_at,
             "log": [{"at": a.at, "status_code": a.status_code, "error": a.error, "duration_ms": a.duration_ms}
                     for a in attempts.get(r.id, [])]}
            for r in rows], cursor

"""The background deliverer: owed events POSTed in order per subscription, signed, retried with backoff until taken."""
import asyncio
import logging
import time
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import event, exists, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker

from kit.clock import utcnow
from services.alerts.metrics import WEBHOOK_ATTEMPTS
from services.alerts.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from services.alerts.settings import AlertsSettings
from services.alerts.webhooks import destinations, service

log = logging.getLogger(__name__)

_LEADER_LOCK = 0x6B70_0A01  # PostgreSQL advisory lock: one deliverer per alerts database sends at a time
BATCH = 50
PARALLEL = 8


class Deliverer:
    def __init__(self, *, settings: AlertsSettings, sessionmaker: async_sessionmaker):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self._allowed = destinations.networks(settings.webhook_allowed_networks)
        self._wake = asyncio.Event()
        self._next_retry: datetime | None = None  # the earliest a subscription waiting out a failure is due again
        event.listen(sessionmaker.kw["sync_session_class"], "after_commit", self._after_commit)

    def _after_commit(self, session) -> None:
        if service.enqueued(session):
            self._wake.set()

    def backoff(self, failures: int) -> float:
        return min(self.settings.webhook_backoff_seconds * 2 ** max(failures - 1, 0),
                   self.settings.webhook_backoff_max_seconds)

    async def run(self) -> None:
        lock = None
        async with httpx.AsyncClient(timeout=self.settings.webhook_timeout_seconds) as http:
            try:
                while True:
                    sent = 0
                    try:
                        if lock is None:
                            lock = await self._leadership()
                        if lock is not None:
                            sent = await self.deliver_due(http)
                    except (OperationalError, OSError) as exc:
                        log.warning("webhooks: database unavailable (%s)", exc)
                        lock = None
                    if not sent:
                        wait = self.settings.webhook_poll_seconds
                        if self._next_retry is not None:
                            wait = min(wait, max((self._next_retry - utcnow()).total_seconds(), 0.0))
                        try:
                            await asyncio.wait_for(self._wake.wait(), wait)
                        except asyncio.TimeoutError:
                            pass
                        self._wake.clear()
            finally:
                if lock is not None and lock is not True:
                    await lock.close()

    async def deliver_due(self, http: httpx.AsyncClient) -> int:
        """One round: every subscription that has deliveries owed and is not waiting out a failure (the earliest of
        those waiting is remembered: the next round comes then at the latest)."""
        now = utcnow()
        async with self.sessionmaker() as session:
            owed = exists().where(WebhookDelivery.subscription_id == WebhookSubscription.id,
                                  WebhookDelivery.delivered_at.is_(None))
            subscriptions = list((await session.scalars(select(WebhookSubscription).where(
                WebhookSubscription.active.is_(True), owed))).all())
            await session.commit()
        self._next_retry = min((s.retry_at for s in subscriptions if s.retry_at is not None and s.retry_at > now),
                               default=None)
        subscriptions = [s for s in subscriptions if s.retry_at is None or s.retry_at <= now]
        sent = 0
        for start in range(0, len(subscriptions), PARALLEL):
            results = await asyncio.gather(*(self._deliver(http, s) for s in subscriptions[start:start + PARALLEL]))
            sent += sum(results)
        return sent

    async def _deliver(self, http: httpx.AsyncClient, subscription: WebhookSubscription) -> int:
        """Send the subscription's owed deliveries oldest first; stop at the first failure and back off."""
        async with self.sessionmaker() as session:
            pending = list((await session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.delivered_at.is_(None))
                .order_by(WebhookDelivery.id).limit(BATCH))).all())
            await session.commit()
        sent = 0
        failures = subscription.failures
        for delivery in pending:
            status, error, elapsed = await self._post(http, subscription, delivery)
            ok = status is not None and 200 <= status < 300
            WEBHOOK_ATTEMPTS.labels("delivered" if ok else "failed").inc()
            failures = 0 if ok else failures + 1
            now = utcnow()
            async with self.sessionmaker() as session:
                await session.execute(insert(WebhookAttempt).values(
                    delivery_id=delivery.id, subscription_id=subscription.id, status_code=status, error=error,
                    duration_ms=elapsed, at=now))
                await session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(
                    attempts=WebhookDelivery.attempts + 1, last_status=status, last_error=error,
                    delivered_at=now if ok else None))
                await session.execute(update(WebhookSubscription).where(
                    WebhookSubscription.id == subscription.id).values(
                    failures=failures,
                    retry_at=None if ok else now + timedelta(seconds=self.backoff(failures))))
                await session.commit()
            if not ok:
                break
            sent += 1
        return sent

    async def _post(self, http: httpx.AsyncClient, subscription: WebhookSubscription,
                    delivery: WebhookDelivery) -> tuple[int | None, str | None, int]:
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            "User-Agent": "keyproject-alerts-webhooks/1",
            "X-KP-Event-Id": delivery.event_id,
            "X-KP-Event-Type": delivery.event_type,
            "X-KP-Delivery": str(delivery.id),
            service.TIMESTAMP_HEADER: str(timestamp),
            service.SIGNATURE_HEADER: service.signature(subscription.secret, timestamp, delivery.body),
        }
        started = time.perf_counter()
        refused = await destinations.refused(subscription.url, self._allowed)
        if refused is not None:  # the name may resolve elsewhere now than when subscribed
            return None, f"refused destination: {refused}", 0
        try:
            response = await http.post(subscription.url, content=delivery.body, headers=headers)
            status, error = response.status_code, None if response.is_success else response.text[:500]
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:500]
        return status, error, int((time.perf_counter() - started) * 1000)

    async def _leadership(self):
        """On PostgreSQL hold a session advisory lock so scaled-out instances do not send the same deliveries."""
        engine = self.sessionmaker.kw["bind"]
        if engine.dialect.name != "postgresql":
            return True
        conn = await engine.connect()
        if await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LEADER_LOCK}):
            await conn.commit()
            return conn
        await conn.close()
        return None


async def deliver_webhooks(app: FastAPI) -> None:
    """Background job of the alerts service."""
    await Deliverer(settings=app.state.settings, sessionmaker=app.state.sessionmaker).run()

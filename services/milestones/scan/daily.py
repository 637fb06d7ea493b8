"""The scan's schedule: once at start-up (catching up a missed day) and then every day at the configured local time."""
import asyncio
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from kit.clock import today
from services.milestones.scan import service

log = logging.getLogger(__name__)
RETRY_SECONDS = 60.0


def seconds_until(at: time, now: datetime) -> float:
    """Seconds from `now` (aware) to the next `at` o'clock in now's time zone; a full day when it is `at` now."""
    target = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if target <= now:
        target = datetime.combine(now.date() + timedelta(days=1), at, tzinfo=now.tzinfo)
    return (target - now).total_seconds()


async def run_daily(app: FastAPI) -> None:
    """Background job of the service (see kit.app.ServiceSpec.background)."""
    settings = app.state.settings
    if not settings.daily_scan:
        return
    zone = ZoneInfo(settings.timezone)
    wait = 0.0
    while True:
        await asyncio.sleep(wait)
        try:
            await service.run(sessionmaker=app.state.sessionmaker, settings=settings, as_of=today(settings),
                              trigger="daily")
            wait = seconds_until(settings.scan_at, datetime.now(zone))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed scan is retried; the loop must outlive it
            log.exception("daily scan failed; retrying in %.0fs", RETRY_SECONDS)
            wait = RETRY_SECONDS

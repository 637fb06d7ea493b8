"""Rounds opened by themselves: on KP_REPORTING_ROUND_DAY of each month, the round of the month before."""
import asyncio
import logging
from datetime import date

from fastapi import FastAPI

from kit.clock import today as clock_today
from kit.errors import Conflict
from services.registry.rounds import service
from services.registry.rounds.schemas import RoundCreate

log = logging.getLogger(__name__)


def due_period(day: date, opening_day: int) -> str | None:
    """The month whose round is due on `day`: the month before, from the opening day on."""
    if not opening_day or day.day < opening_day:
        return None
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


async def open_if_due(app: FastAPI) -> str | None:
    settings = app.state.settings
    day = clock_today(settings)
    period = due_period(day, settings.reporting_round_day)
    if period is None:
        return None
    async with app.state.sessionmaker() as session:
        try:
            await service.open_round(session=session, body=RoundCreate(period=period), actor=service.SYSTEM,
                                     today=day, default_days=settings.reporting_round_days)
        except Conflict:
            return None  # opened already (by the office, or an earlier look)
        await session.commit()
    log.info("reporting round %s opened by itself", period)
    return period


async def round_opener(app: FastAPI) -> None:
    """The background job: look at start-up and every KP_REPORTING_ROUND_CHECK_SECONDS."""
    settings = app.state.settings
    if not settings.reporting_round_day:
        return
    while True:
        try:
            await open_if_due(app)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the database may be away; the next look retries
            log.warning("opening the month's reporting round failed; retrying later", exc_info=True)
        await asyncio.sleep(settings.reporting_round_check_seconds)

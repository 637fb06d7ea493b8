"""Today's date in the deployment's time zone; rules take the date as input."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from kit.settings import ServiceSettings


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today(settings: ServiceSettings) -> date:
    """The deployment's today: the pinned date when set, else the date in its time zone."""
    return settings.fixed_today or datetime.now(ZoneInfo(settings.timezone)).date()

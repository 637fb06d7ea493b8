"""Today's date in the deployment's time zone; rules take the date as input."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()

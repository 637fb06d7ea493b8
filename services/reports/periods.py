"""Report periods: months (YYYY-MM), quarters (YYYY-Qn) and years, their last days and their months."""
import calendar
import re
from datetime import date, timedelta

from kit.errors import Invalid, field_error

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
QUARTER_PATTERN = r"^\d{4}-Q[1-4]$"
_MONTH = re.compile(MONTH_PATTERN)


def parse_month(period: str, *, field: str = "period") -> tuple[int, int]:
    if not _MONTH.match(period):
        raise Invalid("the period is not a month", errors=[field_error(field, f"'{period}' is not YYYY-MM")])
    return int(period[:4]), int(period[5:])


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def last_day(period: str) -> date:
    year, month = parse_month(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def first_day(period: str) -> date:
    year, month = parse_month(period)
    return date(year, month, 1)


def previous_month(period: str) -> str:
    return month_of(first_day(period) - timedelta(days=1))


def quarter_months(quarter: str) -> list[str]:
    """'2026-Q2' -> ['2026-04', '2026-05', '2026-06']."""
    year, number = int(quarter[:4]), int(quarter[-1])
    return [f"{year}-{month:02d}" for month in range(3 * number - 2, 3 * number + 1)]


def year_months(year: int) -> list[str]:
    return [f"{year}-{month:02d}" for month in range(1, 13)]

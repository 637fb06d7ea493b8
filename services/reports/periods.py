"""Report periods: months (YYYY-MM), quarters (YYYY-Qn) and years, their last days and their months."""
import re
from datetime import date, timedelta

from contracts.types import month_end
from kit.errors import Invalid, field_error
from kit.inputs import day

# The years the platform knows (the registry's list years): periods, years and dates outside them are 422, not 500.
MIN_YEAR, MAX_YEAR = 2000, 2100
FIRST_DAY = date(MIN_YEAR, 1, 1)
ReportDay = day(FIRST_DAY, date(MAX_YEAR, 12, 31))  # a date a report is asked for
_YEAR = r"(20\d\d|2100)"
MONTH_PATTERN = rf"^{_YEAR}-(0[1-9]|1[0-2])$"
QUARTER_PATTERN = rf"^{_YEAR}-Q[1-4]$"
_MONTH = re.compile(MONTH_PATTERN)


def parse_month(period: str, *, field: str = "period") -> tuple[int, int]:
    if not _MONTH.match(period):
        raise Invalid("the period is not a month", errors=[field_error(field, f"'{period}' is not YYYY-MM")])
    return int(period[:4]), int(period[5:])


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def last_day(period: str) -> date:
    return month_end(period)


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


def months_between(first: str, last: str) -> list[str]:
    """The months from `first` to `last`, both included (none when `last` is earlier)."""
    (first_year, first_month), (last_year, last_month) = parse_month(first), parse_month(last)
    return [f"{index // 12}-{index % 12 + 1:02d}" for index in range(first_year * 12 + first_month - 1,
                                                                     last_year * 12 + last_month)]

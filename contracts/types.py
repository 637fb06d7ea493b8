"""Value types shared by contracts: money in 万元 as exact decimals, written without exponent or trailing zeros."""
import calendar
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer


def _plain(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0") else text


Money = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6), PlainSerializer(_plain, return_type=str, when_used="json")]


def month_end(period: str) -> date:
    """The last day of a month given as YYYY-MM (a reporting round's, an investment's period)."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, calendar.monthrange(year, month)[1])

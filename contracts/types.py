"""Value types shared by contracts: money in 万元 as exact decimals, written without exponent or trailing zeros."""
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer


def _plain(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0") else text


Money = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6), PlainSerializer(_plain, return_type=str, when_used="json")]

"""Exact figures: rates as fractions, the target gap, competition ranking, and rounding only for display."""
import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from typing import TypeVar

T = TypeVar("T")

YI = Decimal(10_000)  # 1 亿元 = 10,000 万元
RATE_PLACES = Decimal("1e-12")  # rates leave the API as decimals to 12 places (exact within that)
_PRECISION = Context(prec=50)


def rate(numerator, denominator) -> Fraction | None:
    """numerator / denominator exactly; None when there is nothing to divide by."""
    if not denominator:
        return None
    (nn, nd), (dn, dd) = _ratio(numerator), _ratio(denominator)
    return Fraction(nn * dd, nd * dn)  # (nn/nd) / (dn/dd), reduced once


def _ratio(value) -> tuple[int, int]:
    return (value, 1) if isinstance(value, int) else value.as_integer_ratio()


def decimal_of(value: Fraction | None, places: Decimal = RATE_PLACES) -> Decimal | None:
    """A fraction as a decimal to `places` (half-even): what the API returns for a rate."""
    if value is None:
        return None
    quotient = _PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))
    return quotient.quantize(places, rounding=ROUND_HALF_EVEN)


def percent(value: Fraction | None, places: int = 1) -> str | None:
    """A rate as a percentage for display, rounded half-up: 66/116 -> '56.9'."""
    if value is None:
        return None
    hundredfold = _PRECISION.divide(Decimal(value.numerator * 100), Decimal(value.denominator))
    return str(hundredfold.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def yi(amount: Decimal) -> Decimal:
    """万元 as 亿元, to 4 places (1 万元) for display."""
    return (amount / YI).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def display(value: Fraction | Decimal | None, places: int = 2) -> Decimal | None:
    """A score or amount rounded half-up for display."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = _PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def target_count(target_rate: Decimal, count: int) -> int:
    """How many projects the target rate asks for: ceil(target × count), exactly."""
    return math.ceil(Fraction(target_rate) * count)


def needed_to_reach(target_rate: Decimal, count: int, achieved: int) -> int:
    """How many more projects reach the target rate: max(0, ceil(target × count) − achieved)."""
    return max(0, target_count(target_rate, count) - achieved)


def competition_ranks(items: Sequence[T], value: Callable[[T], Fraction | int | None], *,
                      higher_is_better: bool) -> list[tuple[T, int]]:
    """Best first with competition ranks (1, 2, 2, 4); a missing value ranks after every value.

    Ties share a rank and are broken by nothing: their order in the list is the input order."""

    def order(item: T):
        v = value(item)
        if v is None:
            return (1, 0)
        return (0, -v if higher_is_better else v)

    ordered = sorted(items, key=order)  # stable: ties keep the input order
    ranked: list[tuple[T, int]] = []
    for position, item in enumerate(ordered, start=1):
        if ranked and order(item) == order(ranked[-1][0]):
            ranked.append((item, ranked[-1][1]))
        else:
            ranked.append((item, position))
    return ranked

"""Exact figures: rates as fractions, the target gap, competition ranking, and rounding only for display."""
import math
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, NamedTuple, TypeVar

from pydantic import PlainSerializer

T = TypeVar("T")

YI = Decimal(10_000)  # 1 亿元 = 10,000 万元
RATE_PLACES = 12  # rates leave the API as decimals to 12 places (exact within that)
# A rate (or score) in the API: a decimal string without exponent, "0.000000000000" rather than "0E-12".
Rate = Annotated[Decimal, PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json")]
_PRECISION = Context(prec=50)


class Ratio(NamedTuple):
    """An exact rate as two integers, not reduced, the denominator positive: what a rate is shown from (decimal_of,
    percent) without the cost of a Fraction. Compared as a Fraction (`exact`), never as a tuple."""

    numerator: int
    denominator: int

    def exact(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


def ratio(numerator, denominator) -> Ratio | None:
    """numerator / denominator (counts or amounts, never negative) exactly; None when there is nothing to divide by."""
    if not denominator:
        return None
    (nn, nd), (dn, dd) = _integer_ratio(numerator), _integer_ratio(denominator)
    return Ratio(nn * dd, nd * dn)  # (nn/nd) / (dn/dd)


def rate(numerator, denominator) -> Fraction | None:
    """numerator / denominator exactly; None when there is nothing to divide by."""
    value = ratio(numerator, denominator)
    return None if value is None else value.exact()


def _integer_ratio(value) -> tuple[int, int]:
    return (value, 1) if isinstance(value, int) else value.as_integer_ratio()


def _scaled(value: Fraction | Ratio, places: int, *, half_even: bool) -> int:
    """round(value × 10^places) in integers: half-even, or half away from zero (half-up for display)."""
    numerator, denominator = value.numerator, value.denominator
    quotient, remainder = divmod(abs(numerator) * 10 ** places, denominator)
    twice = 2 * remainder
    if twice > denominator or twice == denominator and (not half_even or quotient % 2):
        quotient += 1
    return -quotient if numerator < 0 else quotient


def decimal_of(value: Fraction | Ratio | None, places: int = RATE_PLACES) -> Decimal | None:
    """A fraction as a decimal to `places` (half-even): what the API returns for a rate."""
    if value is None:
        return None
    return Decimal(_scaled(value, places, half_even=True)).scaleb(-places)


def percent(value: Fraction | Ratio | None, places: int = 1) -> str | None:
    """A rate as a percentage for display, rounded half-up: 66/116 -> '56.9'."""
    if value is None:
        return None
    return str(Decimal(_scaled(value, places + 2, half_even=False)).scaleb(-places))


def yi(amount: Decimal) -> Decimal:
    """万元 as 亿元 for display, to two places (half up) as offices write them: 565.20 亿元."""
    return (amount / YI).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def display(value: Fraction | Decimal | None, places: int = 2) -> Decimal | None:
    """A score or amount rounded half-up for display."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = _PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class TargetRounding(StrEnum):
    """How a target rate becomes a whole number of projects."""

    nearest = "nearest"  # the nearest whole project, x.5 up: as offices count (70 % of 116 is 81)
    up = "up"  # the next whole project (ceil): 70 % of 116 is 82


def target_count(target_rate: Decimal, count: int, rounding: TargetRounding) -> int:
    """How many projects the target rate asks for: target × count to a whole project, exactly."""
    exact = Fraction(target_rate) * count
    return math.ceil(exact) if rounding == TargetRounding.up else math.floor(exact + Fraction(1, 2))


def needed_to_reach(target_rate: Decimal, count: int, achieved: int, rounding: TargetRounding) -> int:
    """How many more projects reach the target rate: max(0, target count − achieved)."""
    return max(0, target_count(target_rate, count, rounding) - achieved)


def competition_ranks(items: Sequence[T], value: Callable[[T], Fraction | int | None], *,
                      higher_is_better: bool) -> list[tuple[T, int]]:
    """Best first with competition ranks (1, 2, 2, 4); a missing value ranks after every value.

    Ties share a rank and are broken by nothing: their order in the list is the input order. Sorted on floats first
    (a correctly rounded float never reverses an order), then exactly within runs of equal floats."""
    keyed = []
    for position, item in enumerate(items):
        v = value(item)
        if v is None:
            keyed.append((1, 0.0, 0, position, item))
        else:
            v = -v if higher_is_better else v  # (a negated Fraction needs no reducing, a multiplied one does)
            keyed.append((0, float(v), v, position, item))
    keyed.sort(key=lambda k: (k[0], k[1], k[3]))
    start = 0
    while start < len(keyed):  # order each run of equal floats exactly
        end = start + 1
        while end < len(keyed) and keyed[end][:2] == keyed[start][:2]:
            end += 1
        if end - start > 1:
            keyed[start:end] = sorted(keyed[start:end], key=lambda k: (k[2], k[3]))
        start = end
    ranked: list[tuple[T, int]] = []
    previous = None
    for position, entry in enumerate(keyed, start=1):
        tied = previous is not None and entry[0] == previous[0] and entry[2] == previous[2]
        ranked.append((entry[4], ranked[-1][1] if tied else position))
        previous = entry
    return ranked

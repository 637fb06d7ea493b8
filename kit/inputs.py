"""What every service's request bodies and query parameters share: models that refuse unknown fields and NUL, dates
only as ISO text within a sane range, exact decimals as integers or plain decimal text. Each type's OpenAPI schema
states exactly what it accepts, so a schema-valid request is never refused for its form."""
import re
from datetime import date
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, \
    WithJsonSchema, model_validator


def has_nul(value: Any) -> bool:
    """Whether a string (or any string inside a list or mapping) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


class FieldsRefused(ValueError):
    """Fields of a body refused by Strict's one pass over it: the 422 names each field (kit.errors), not the body."""

    def __init__(self, refused: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in refused))
        self.refused = refused


def _bool_or_int(annotation: Any) -> type | None:
    """bool or int where a field holds one (optional or constrained alike), else None."""
    if get_origin(annotation) in (Union, UnionType):
        held = [a for a in get_args(annotation) if a is not type(None)]
        annotation = held[0] if len(held) == 1 else None
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation if annotation in (bool, int) else None


def _refusal(value: Any, kind: type | None) -> str | None:
    if has_nul(value):
        return "text cannot contain NUL characters"
    if kind is bool and value is not None and not isinstance(value, bool):
        return "expected true or false"
    if kind is int and isinstance(value, bool):
        return "expected a whole number, not true or false"
    return None


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error and not silently dropped, and text holding NUL
    (which PostgreSQL cannot store: a 500 there, silently kept on SQLite) on every database alike. A yes/no field takes
    JSON's true or false only, and a number field no true or false, as their schemas say (pydantic would also take 0,
    "yes" or "off" for a yes/no, and true for 1). One pass over the body before its fields are validated: a hot
    path's request is not worth a validator call per field."""

    model_config = ConfigDict(extra="forbid")
    _kinds: ClassVar[dict[str, type]] = {}  # input name -> bool or int, for the fields that hold one

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._kinds = {field.alias or name: kind for name, field in cls.model_fields.items()
                      if (kind := _bool_or_int(field.annotation)) is not None}

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul_and_loose_types(cls, data: Any) -> Any:
        if isinstance(data, dict):
            kinds = cls._kinds
            refused = [(name, refusal) for name, value in data.items()
                       if (refusal := _refusal(value, kinds.get(name))) is not None]
            if refused:
                raise FieldsRefused(refused)
        return data


# A character someone can see: not a space, a control character, a zero-width or direction mark. The OpenAPI
# documents state this very pattern, and the check below uses it, so the document and the service agree.
VISIBLE = (r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u2028-\u202e"
           r"\u2060-\u206f\ufeff\ufff9-\ufffb]")
_VISIBLE = re.compile(VISIBLE)
# What the documents state for text: one visible character at least, and no NUL (Strict refuses it). One anchored
# pattern, not two: a generator (schemathesis) filters what it makes by any second one.
TEXT_PATTERN = rf"^[^\x00]*{VISIBLE}[^\x00]*$"


def _visible(value: str) -> str:
    if not _VISIBLE.search(value):
        raise ValueError("the text has no visible character (only spaces, zero-width or direction marks)")
    return value


def text(max_length: int):
    """Text someone can read, trimmed, of at most `max_length` characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(_visible), Field(json_schema_extra={"pattern": TEXT_PATTERN})]


# A link to a document or photo elsewhere: http(s) only (a `javascript:` or `data:` link would run in whoever opens
# it), no spaces, no NUL.
WebLink = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000,
                                           pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/\x00]+[^\s\x00]*$")]


def _years(first: int, last: int) -> str:
    """A regular expression matching exactly the four-digit years first..last."""
    parts = []
    for century in range(first // 100, last // 100 + 1):
        low, high = max(first, century * 100) % 100, min(last, century * 100 + 99) - century * 100
        parts.append(f"{century}[0-9]{{2}}" if (low, high) == (0, 99) else
                     f"{century}({'|'.join(f'{year:02d}' for year in range(low, high + 1))})")
    return f"({'|'.join(parts)})"


def day(first: date, last: date):
    """A date the API takes: ISO text (not a number, which pydantic would read as seconds since 1970) between `first`
    and `last`, so date arithmetic never leaves what Python's date holds (a 500) and 0202-05-01 is a 422."""
    pattern = re.compile(rf"^{_years(first.year, last.year)}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")

    def iso(value: Any) -> Any:
        if isinstance(value, date) or isinstance(value, str) and pattern.match(value):
            return value
        raise ValueError(f"a date is written YYYY-MM-DD, between {first} and {last}")

    return Annotated[date, BeforeValidator(iso), Field(ge=first, le=last), WithJsonSchema(
        {"type": "string", "format": "date", "pattern": pattern.pattern, "example": "2026-06-15"}, mode="validation")]


EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
Day = day(EARLIEST, LATEST)
# A month of the registry's list years, YYYY-MM (a reporting round's, an investment's).
Month = Annotated[str, StringConstraints(pattern=rf"^{_years(2000, 2100)}-(0[1-9]|1[0-2])$")]


def decimal(*, integer_digits: int, places: int, signed: bool = False, positive: bool = False,
            description: str | None = None, example: str = "1200.5"):
    """An exact decimal input below 10^integer_digits in size with at most `places` decimals: a JSON integer, or text
    such as "1200.5" (a JSON fraction such as 1200.5 is refused: a binary float cannot hold most decimal amounts
    exactly)."""
    nonzero = r"(?!0+(\.0+)?$)" if positive else ""
    text = re.compile(rf"^{nonzero}{'-?' if signed else ''}[0-9]{{1,{integer_digits}}}(\.[0-9]{{1,{places}}})?$")
    largest = Decimal(10) ** integer_digits - Decimal(10) ** -places
    whole = 10 ** integer_digits - 1
    integer: dict[str, Any] = {"type": "integer", "maximum": whole,
                               **({"minimum": -whole} if signed else {"exclusiveMinimum": 0} if positive else
                                  {"minimum": 0})}

    def parse(value: Any) -> Any:
        if isinstance(value, Decimal) or isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:  # 1200.0 is a JSON integer
            return int(value)
        if isinstance(value, str) and text.match(value):
            return value
        raise ValueError(f"an amount is an integer or text such as \"{example}\", with at most {places} decimals")

    lower = {"ge": -largest} if signed else {"gt": 0} if positive else {"ge": 0}
    schema: dict[str, Any] = {"anyOf": [integer, {"type": "string", "pattern": text.pattern, "example": example}]}
    if description:
        schema["description"] = description
    # The limits before the parse: pydantic-core checks them on the decimal itself (after it, in Python, 3x slower).
    return Annotated[Decimal, Field(le=largest, max_digits=integer_digits + places, decimal_places=places, **lower),
                     BeforeValidator(parse), WithJsonSchema(schema, mode="validation")]


# An amount of money the API takes, in 万元 (kit.db keeps millionths of 万元 in a BIGINT: at most ~9.2e12 万元).
Amount = decimal(integer_digits=12, places=6, description="金额，单位：万元", example="1200.5")
PositiveAmount = decimal(integer_digits=12, places=6, positive=True, description="金额（大于 0），单位：万元",
                         example="1200.5")

"""The project categories the registry accepts and the sector each derives: the built-in ones and those configured
(KP_EXTRA_CATEGORIES). `configure` is called once by the app factory: one registry app per process, each process with
its own KP_* environment."""
from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from contracts.registry import Category, Sector

SECTOR_OF_CATEGORY: dict[str, Sector] = {
    Category.industry: Sector.secondary,
    Category.manufacturing: Sector.secondary,
    Category.services: Sector.tertiary,
    Category.agriculture: Sector.primary,
    Category.infrastructure: Sector.tertiary,
    Category.social: Sector.tertiary,
}

_accepted: dict[str, Sector] = dict(SECTOR_OF_CATEGORY)


def configure(extra: Mapping[str, Sector]) -> None:
    """Accept the configured categories besides the built-in ones."""
    global _accepted
    _accepted = {**SECTOR_OF_CATEGORY, **extra}


def sector_of(category: str) -> Sector | None:
    """The sector a category derives; None for one no longer configured (its projects keep theirs)."""
    return _accepted.get(category)


def _accepted_category(value: str) -> str:
    if value not in _accepted:
        raise PydanticCustomError("category", "unknown category '{category}'; accepted: {accepted}",
                                  {"category": value, "accepted": ", ".join(_accepted)})
    return value


class _Documented:
    """The accepted categories in the OpenAPI document, as configured (it is generated once the app runs)."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        return {**handler(core_schema), "enum": list(_accepted)}


# A category a request may set or filter by: 422 naming the field and listing the accepted ones otherwise.
AcceptedCategory = Annotated[str, AfterValidator(_accepted_category), _Documented()]

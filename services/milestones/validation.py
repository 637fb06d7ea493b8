"""Field types shared by the milestones API models, and the window a project's dates must lie in."""
from datetime import date
from typing import Annotated, Protocol

from pydantic import StringConstraints

from contracts.registry import plausible_dates
from kit.errors import Invalid, field_error
from kit.inputs import EARLIEST, LATEST, text

Text, LongText = text(200), text(2000)
# Node and template keys appear in URLs, events and predecessor lists: lower-case words.
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                       pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
Evidence = list[text(1000)]


class _HasYear(Protocol):
    year: int | None


def project_window(project: _HasYear) -> tuple[date, date]:
    """The dates a project's nodes may take: its plausible years (the API's whole range while its year is unknown)."""
    return plausible_dates(project.year) if project.year is not None else (EARLIEST, LATEST)


def ensure_plausible(project: _HasYear, dates: dict[str, date | None]) -> None:
    """422 naming each given date outside the project's plausible years (year 1 or 9999 is a typing error)."""
    first, last = project_window(project)
    errors = [field_error(name, f"{value} 不在 {first.year}–{last.year} 年之间（项目年度 {project.year}）")
              for name, value in dates.items() if value is not None and not first <= value <= last]
    if errors:
        raise Invalid(errors[0]["message"], errors=errors)

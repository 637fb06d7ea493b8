"""Business-date rules of a project: the days it joined and left the list, the stages it had reached when it was
registered, and the day a correction takes effect. Messages are what an office reads (Chinese)."""
from datetime import date
from typing import Any

from contracts.registry import Stage, plausible_dates
from kit.errors import field_error

ORDER = list(Stage)
# How far back a list date may go before the project's year: projects carried over from earlier lists.
LISTED_YEARS_BACK = 10


def plausible_errors(values: dict[str, Any], fields: tuple[str, ...]) -> list[dict]:
    """The project's dates lie within its plausible years."""
    year = values.get("year")
    if year is None:
        return []
    first, last = plausible_dates(year)
    return [field_error(f, f"{values[f]} 不在 {first.year}–{last.year} 年之间（项目年度 {year}）")
            for f in fields if values.get(f) is not None and not first <= values[f] <= last]


def listed_errors(values: dict[str, Any]) -> list[dict]:
    """The list date lies between LISTED_YEARS_BACK years before the project's year and the end of that year."""
    listed, year = values.get("listed_on"), values.get("year")
    if listed is None or year is None:
        return []
    if not date(year - LISTED_YEARS_BACK, 1, 1) <= listed <= date(year, 12, 31):
        return [field_error("listed_on", f"入库日期 {listed} 不在 {year - LISTED_YEARS_BACK} 年初至 {year} 年末之间")]
    return []


def stage_errors(stage: Stage, stage_dates: dict[Stage, date], *, today: date) -> list[dict]:
    """A project registered mid-flight: the reached stage is dated, only stages up to it are, in order, none ahead
    of today."""
    errors, reached = [], ORDER.index(stage)
    for each, when in stage_dates.items():
        if when.year < 1990:
            errors.append(field_error(f"stage_dates.{Stage(each).value}", f"{when} 早于 1990 年"))
    if stage is not Stage.planning and stage not in stage_dates:
        errors.append(field_error(f"stage_dates.{stage.value}", f"已到达的阶段 {stage.value} 需要填写日期"))
    previous: tuple[Stage, date] | None = None
    for each in ORDER[1:]:
        when = stage_dates.get(each)
        if when is None:
            continue
        if each is Stage.planning or ORDER.index(each) > reached:
            errors.append(field_error(f"stage_dates.{each.value}", f"项目尚未到达 {each.value} 阶段，不应填写其日期"))
            continue
        if when > today:
            errors.append(field_error(f"stage_dates.{each.value}", f"{when} 晚于今天 {today}"))
        if previous is not None and when < previous[1]:
            errors.append(field_error(f"stage_dates.{each.value}",
                                      f"{when} 早于 {previous[0].value} 阶段的日期 {previous[1]}"))
        previous = (each, when)
    if Stage.planning in stage_dates:
        errors.append(field_error("stage_dates.planning", "谋划阶段没有日期"))
    return errors


def on_the_list_errors(field: str, day: date, *, listed_on: date | None, today: date) -> list[dict]:
    """A dated fact of the list (a correction taking effect, the project leaving it) lies between the day the project
    joined the list and today."""
    if day > today:
        return [field_error(field, f"{day} 晚于今天 {today}")]
    if listed_on is not None and day < listed_on:
        return [field_error(field, f"{day} 早于入库日期 {listed_on}")]
    return []

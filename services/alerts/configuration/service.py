"""Rule settings use-cases: read the current configuration, change one rule with a new version. Never commit."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.conditional import check_version
from kit.errors import Invalid, NotFound, field_error
from services.alerts.evaluation.due import mark_due
from services.alerts.models import RuleSetting, RuleSettingChange
from services.alerts.rules.definitions import RULES
from services.alerts.rules.thresholds import TaskSettings, Thresholds

TASKS = "tasks"


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    kind: str
    subject: str | None
    model: type[Thresholds]
    opens_task: bool
    enabled: bool = True


ENTRIES: dict[str, Entry] = {
    **{r.name: Entry(r.name, r.title, "rule", r.subject, r.thresholds, r.opens_task, r.enabled)
       for r in RULES.values()},
    TASKS: Entry(TASKS, "督办事项期限与升级", "settings", None, TaskSettings, False),
}


@dataclass(frozen=True)
class Setting:
    name: str
    enabled: bool
    opens_task: bool
    thresholds: Thresholds
    version: int
    updated_by: str
    updated_at: datetime | None


@dataclass(frozen=True)
class Configuration:
    """Every rule's setting as of one read; the evaluation of a batch uses one of these throughout."""

    settings: dict[str, Setting]

    def enabled(self, rule: str) -> bool:
        return self.settings[rule].enabled

    def thresholds(self, rule: str) -> Any:
        return self.settings[rule].thresholds

    def opens_task(self, rule: str) -> bool:
        return self.settings[rule].opens_task and self.settings[TASKS].enabled

    @property
    def tasks(self) -> TaskSettings:
        return self.settings[TASKS].thresholds

    @property
    def escalation_enabled(self) -> bool:
        return self.settings[TASKS].enabled


def default(entry: Entry) -> Setting:
    return Setting(entry.name, entry.enabled, entry.opens_task, entry.model(), 1, "default", None)


def _setting(row: RuleSetting) -> Setting:
    return Setting(row.name, row.enabled, row.opens_task, ENTRIES[row.name].model.model_validate(row.thresholds),
                   row.version, row.updated_by, row.updated_at)


_CACHE = "alerts_configuration"


async def load(*, session: AsyncSession) -> Configuration:
    """Reads the current settings (once per session: a consumer's fetch is one session); a rule never changed has
    its defaults as version 1."""
    if _CACHE not in session.info:
        rows = {row.name: row for row in (await session.scalars(select(RuleSetting))).all() if row.name in ENTRIES}
        session.info[_CACHE] = Configuration({name: _setting(rows[name]) if name in rows else default(entry)
                                              for name, entry in ENTRIES.items()})
    return session.info[_CACHE]


def entry(name: str) -> Entry:
    if name not in ENTRIES:
        raise NotFound(f"there is no rule {name}; rules are {', '.join(ENTRIES)}")
    return ENTRIES[name]


def _validation_errors(exc: ValidationError) -> list[dict]:
    errors = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(p) for p in error.get("loc", ()))
        errors.append(field_error(f"thresholds.{location}" if location else "thresholds", error.get("msg", "invalid")))
    return errors


def _plain(thresholds: Thresholds) -> dict:
    return thresholds.model_dump(mode="json")


async def update(*, session: AsyncSession, name: str, enabled: bool | None, opens_task: bool | None,
                 thresholds: dict | None, note: str | None, actor: str,
                 admitted_versions: frozenset[int] | None) -> Setting:
    """Changes a rule's switch or thresholds as a new version, and records the change."""
    found = entry(name)
    row = await session.get(RuleSetting, name, with_for_update=True)
    current = _setting(row) if row is not None else default(found)
    check_version(admitted_versions, current.version, what=f"rule {name}")
    try:
        merged = found.model.model_validate({**_plain(current.thresholds), **(thresholds or {})})
    except ValidationError as exc:
        raise Invalid(f"the thresholds of {name} are not valid", errors=_validation_errors(exc)) from exc
    after = {"enabled": current.enabled if enabled is None else enabled,
             "opens_task": current.opens_task if opens_task is None else opens_task,
             "thresholds": _plain(merged)}
    before = {"enabled": current.enabled, "opens_task": current.opens_task, "thresholds": _plain(current.thresholds)}
    changes = {k: {"before": before[k], "after": v} for k, v in after.items() if before[k] != v}
    if not changes:
        return current
    now, version = utcnow(), current.version + 1
    if row is None:
        row = RuleSetting(name=name)
        session.add(row)
    row.enabled, row.opens_task, row.thresholds = after["enabled"], after["opens_task"], after["thresholds"]
    row.version, row.updated_by, row.updated_at = version, actor, now
    await session.flush()
    session.info.pop(_CACHE, None)
    await session.execute(insert(RuleSettingChange).values(
        name=name, version=version, changes=changes, note=note, actor=actor, at=now, **after))
    await mark_due(session)  # every project is looked at afresh under the new setting
    return _setting(row)


async def list_changes(*, session: AsyncSession, name: str) -> list[RuleSettingChange]:
    """Lists the recorded versions of a rule's settings, oldest first."""
    entry(name)
    query = select(RuleSettingChange).where(RuleSettingChange.name == name).order_by(RuleSettingChange.id)
    return list((await session.scalars(query)).all())

"""The escalation ladder of a late supervision task: unit head, lead leader, accountability (问责)."""
from datetime import date

from contracts.alerts import EscalationLevel
from services.alerts.rules.thresholds import TaskSettings

LADDER = [EscalationLevel.none, EscalationLevel.unit_head, EscalationLevel.lead_leader,
          EscalationLevel.accountability]


def level_due(deadline: date, as_of: date, settings: TaskSettings) -> EscalationLevel:
    """The level a task still open on `as_of` has reached, by days past its deadline."""
    days = (as_of - deadline).days
    if days >= settings.accountability_days:
        return EscalationLevel.accountability
    if days >= settings.lead_leader_days:
        return EscalationLevel.lead_leader
    if days >= settings.unit_head_days:
        return EscalationLevel.unit_head
    return EscalationLevel.none


def steps_to(current: EscalationLevel | str, target: EscalationLevel) -> list[EscalationLevel]:
    """Every level above `current` up to `target`: a task never skips a rung, and never goes back down."""
    start, end = LADDER.index(EscalationLevel(current)), LADDER.index(target)
    return LADDER[start + 1: end + 1]


def next_level(current: EscalationLevel | str) -> EscalationLevel | None:
    """The rung above `current` (the office escalating by hand, 提级督办); None at the top."""
    steps = LADDER[LADDER.index(EscalationLevel(current)) + 1:]
    return steps[0] if steps else None


def escalated_to(level: EscalationLevel, *, unit_name: str | None, lead_leader: str | None) -> str:
    """Who a case escalated to `level` now goes to: the unit's head, the project's lead leader by name, or 问责."""
    return {
        EscalationLevel.unit_head: f"{unit_name or '责任单位'}主要负责人",
        EscalationLevel.lead_leader: lead_leader or "包联领导",
        EscalationLevel.accountability: "问责",
    }[level]


def first_tuesday(year: int, month: int) -> date:
    """The monthly supervision day (每月一督导)."""
    first = date(year, month, 1)
    return date(year, month, 1 + (1 - first.weekday()) % 7)

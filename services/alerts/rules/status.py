"""A project's colour (the worst active alert) and grade (DESIGN §5), and how alerts follow new findings."""
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Iterable

from contracts.alerts import Colour, Grade
from services.alerts.rules.definitions import Finding
from services.alerts.rules.facts import ProjectFacts

RANK = {Colour.blue: 0, Colour.yellow: 1, Colour.red: 2}


def worst(colours: Iterable[Colour | str]) -> Colour:
    return Colour(max(colours, key=RANK.__getitem__, default=Colour.blue))


def has_late_node(facts: ProjectFacts, as_of: date) -> bool:
    return any(node.planned_date < as_of for node in facts.nodes)


def grade(colour: Colour, *, ratio: Fraction | None, late_node: bool, faster_ratio) -> Grade:
    """lagging = red, warning = yellow; blue is faster with investment ratio ≥ faster_ratio and no late node."""
    if colour == Colour.red:
        return Grade.lagging
    if colour == Colour.yellow:
        return Grade.warning
    if ratio is not None and ratio >= Fraction(faster_ratio) and not late_node:
        return Grade.faster
    return Grade.normal


@dataclass(frozen=True, slots=True)
class Active:
    """The part of an active alert that reconciliation compares."""

    id: str
    rule: str
    colour: Colour
    wording: str | None  # None: worded before wordings were kept


@dataclass(frozen=True, slots=True)
class Step:
    """What happens to one rule's alert: raise, escalate (yellow → red), downgrade (red → yellow: the red one is
    resolved and a yellow one raised), refresh (same colour, new wording), resolve."""

    action: str
    rule: str
    finding: Finding | None = None
    alert: Active | None = None


def reconcile(findings: dict[str, Finding | None], active: dict[str, Active]) -> list[Step]:
    """The steps that bring the active alerts (one per rule) in line with the findings; none when they agree."""
    steps = []
    for rule in [*findings, *(r for r in active if r not in findings)]:
        finding, alert = findings.get(rule), active.get(rule)
        if finding is None:
            if alert is not None:
                steps.append(Step("resolve", rule, None, alert))
        elif alert is None:
            steps.append(Step("raise", rule, finding))
        elif finding.colour != alert.colour:
            action = "escalate" if RANK[finding.colour] > RANK[alert.colour] else "downgrade"
            steps.append(Step(action, rule, finding, alert))
        elif finding.wording != alert.wording:
            steps.append(Step("refresh", rule, finding, alert))
    return steps

"""Delay API models: delays charged per unit, node kind or project, and the late nodes with their evidence."""
from datetime import date
from enum import StrEnum

from pydantic import BaseModel

from services.milestones.nodes.schemas import ChangePublic


class DelayGroup(StrEnum):
    unit = "unit"            # the unit responsible for the node (approval departments own their permit nodes)
    node_kind = "node_kind"  # the node's key in its template (规划许可, 施工许可 …)
    project = "project"


class Basis(StrEnum):
    plan = "plan"          # lateness against the current plan
    baseline = "baseline"  # against the first plan, which no reschedule moves


class DelayRow(BaseModel):
    key: str
    name: str | None
    late_nodes: int  # nodes late on the chosen basis
    days_late: int  # summed against the current plan
    baseline_days_late: int  # summed against the baselines
    slip_days: int  # of the projects' slips, what these nodes added on the critical path
    projects: int  # projects with a late node here


class DelaysPublic(BaseModel):
    as_of: date
    year: int | None
    by: DelayGroup
    basis: Basis
    total: DelayRow
    items: list[DelayRow]


class LateNode(BaseModel):
    id: str
    project_id: str
    project_code: str
    project_name: str
    project_slip_days: int
    key: str
    name: str
    responsible_unit_id: str | None
    responsible_unit_name: str | None
    planned_date: date
    baseline_date: date
    actual_date: date | None
    days_late: int
    baseline_days_late: int
    slip_days: int
    critical: bool
    # The evidence trail: every change of the node with its reason and who made it, oldest first.
    history: list[ChangePublic]


class LateNodesPublic(BaseModel):
    as_of: date
    year: int | None
    basis: Basis
    items: list[LateNode]

"""Every event type the platform knows, by its versioned type name."""
from contracts import alerts, milestones, registry
from contracts.envelope import EventData

EVENTS: tuple[type[EventData], ...] = (
    registry.UnitCreated,
    registry.UnitUpdated,
    registry.ProjectRegistered,
    registry.ProjectUpdated,
    registry.ProjectArchived,
    registry.ProjectStageChanged,
    registry.ProjectStartConfirmed,
    registry.InvestmentReported,
    registry.BudgetChanged,
    registry.StatisticsStatusChanged,
    registry.ParcelRegistered,
    registry.ParcelUpdated,
    milestones.ScheduleGenerated,
    milestones.MilestonePlanned,
    milestones.MilestoneRescheduled,
    milestones.MilestoneCompleted,
    milestones.MilestoneReopened,
    milestones.MilestoneReassigned,
    milestones.MilestoneRemoved,
    milestones.MilestoneDueSoon,
    milestones.MilestoneOverdue,
    alerts.AlertRaised,
    alerts.AlertEscalated,
    alerts.AlertUpdated,
    alerts.AlertResolved,
    alerts.AlertAcknowledged,
    alerts.ProjectStatusChanged,
    alerts.TaskOpened,
    alerts.TaskFeedback,
    alerts.TaskClosed,
    alerts.TaskReturned,
    alerts.TaskEscalated,
    alerts.TaskResolvableChanged,
)

CATALOG: dict[str, type[EventData]] = {model.type: model for model in EVENTS}

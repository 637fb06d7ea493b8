"""Every event type the platform knows, by its versioned type name."""
from contracts import registry
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
)

CATALOG: dict[str, type[EventData]] = {model.type: model for model in EVENTS}

"""Milestones settings (KP_* environment variables)."""
from datetime import date, time

from pydantic import Field

from contracts.registry import CategoryKey
from kit.settings import ServiceSettings
from services.milestones.scheduling import CALENDAR_DAYS, Calendar, CalendarKind, working_calendar
from services.milestones.templates.builtin import DEFAULT_FOR_CATEGORY
from services.milestones.validation import Key


class MilestonesSettings(ServiceSettings):
    service_name: str = "milestones"
    database_url: str = "sqlite+aiosqlite:///data/milestones.db"
    port: int = 8002
    # Generate a schedule from the category's template when a project arrives with planned dates (KP_AUTO_SCHEDULE).
    auto_schedule: bool = True
    # The template a category's projects get when none is named, e.g. KP_CATEGORY_TEMPLATES='{"industry":
    # "industrial-park", "tourism": "scenic-area"}' (a custom template made through the API; a category the registry
    # was configured with may be named too). A category left out, or mapped to a template that does not exist, gets its
    # built-in template, or GENERIC_TEMPLATE when it has none.
    category_templates: dict[CategoryKey, Key] = Field(default_factory=lambda: dict(DEFAULT_FOR_CATEGORY))
    # Count durations in working days instead of calendar days, unless a schedule request says otherwise: the official
    # holidays and make-up days (调休) from the chinesecalendar data (KP_OFFICIAL_CALENDAR), overridden by KP_HOLIDAYS
    # and KP_EXTRA_WORKDAYS (e.g. a local holiday, or a year the data does not cover yet: '["2027-02-08"]').
    working_calendar: bool = False
    official_calendar: bool = True
    holidays: list[date] = []
    extra_workdays: list[date] = []
    # A plan drawn up after some of its dates have passed plans those nodes from the day it is made, each at least this
    # many days out (KP_REPLAN_LEAD_DAYS; the registration grace): a unit is never due on the day it registers.
    replan_lead_days: int = Field(default=15, ge=0, le=365)
    # A node is due soon this many days before its planned date (KP_DUE_SOON_DAYS).
    due_soon_days: int = Field(default=7, ge=0, le=365)
    # Days late at which the scan announces a node overdue again (KP_OVERDUE_THRESHOLDS='[1,15,30]').
    overdue_thresholds: list[int] = Field(default=[1, 15, 30], min_length=1)
    # The daily scan runs at this local time (KP_SCAN_AT) and once at start-up; KP_DAILY_SCAN=false turns it off.
    daily_scan: bool = True
    scan_at: time = time(1, 0)
    # Nodes handled per scan transaction: bounds memory and lock time (KP_SCAN_BATCH_SIZE).
    scan_batch_size: int = Field(default=2000, ge=1, le=50_000)
    # Batches handled at once on PostgreSQL (KP_SCAN_WORKERS); SQLite has one writer and scans one batch at a time.
    scan_workers: int = Field(default=2, ge=1, le=16)

    def calendar(self, kind: CalendarKind | str | None = None) -> Calendar:
        """The calendar a schedule counts in: the requested kind, else the configured default."""
        if not kind:
            kind = CalendarKind.working if self.working_calendar else CalendarKind.calendar
        kind = CalendarKind(kind)
        if kind is CalendarKind.calendar:
            return CALENDAR_DAYS
        return working_calendar(holidays=self.holidays, extra_workdays=self.extra_workdays,
                                official=self.official_calendar)

"""Reports settings (KP_* environment variables)."""
from decimal import Decimal
from pathlib import Path

from pydantic import Field, model_validator

from kit.settings import ServiceSettings
from services.reports.figures import TargetRounding


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    database_url: str = "sqlite+aiosqlite:///data/reports.db"
    port: int = 8004
    # The year-end goal for the start-or-completion rate (KP_TARGET_RATE), e.g. 0.70 for 70 %.
    target_rate: Decimal = Field(default=Decimal("0.70"), ge=0, le=1)
    # How the target becomes a count of projects (KP_TARGET_ROUNDING): `nearest` whole project (x.5 up), as offices
    # count at their meetings, or `up` (ceil).
    target_rounding: TargetRounding = TargetRounding.nearest
    # Monthly snapshots are taken by themselves once a month has ended (KP_AUTO_SNAPSHOTS), after
    # KP_SNAPSHOT_DELAY_DAYS more days (offices that collect the month's investment reports in the first days of the
    # next month set e.g. 5); the scheduler looks every KP_SNAPSHOT_CHECK_SECONDS.
    auto_snapshots: bool = True
    snapshot_delay_days: int = Field(default=0, ge=0, le=27)
    snapshot_check_seconds: float = Field(default=60.0, gt=0)
    # No automatic snapshot of a month before the go-live (KP_GO_LIVE, YYYY-MM; default: the month the list begins,
    # its earliest 入库 day). Months that had ended before the first project was entered (a list entered mid-year
    # with its history) are frozen KP_SNAPSHOT_BACKFILL_DAYS after that entry, so the office can enter the history.
    go_live: str | None = Field(default=None, pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$")
    snapshot_backfill_days: int = Field(default=7, ge=0, le=90)
    # The public board (GET /board): open to anyone unless KP_BOARD_REQUIRES_TOKEN (then a reports:read token is
    # needed, as ?token= for a display screen that cannot send headers); the page refreshes itself every
    # KP_BOARD_REFRESH_SECONDS and shows KP_BOARD_RANKING_ROWS units per ranking.
    board_requires_token: bool = False
    board_refresh_seconds: int = Field(default=60, ge=5)
    board_ranking_rows: int = Field(default=12, ge=1, le=50)
    # The monthly bulletin (调度通报): the office's own Jinja2 template (KP_BULLETIN_TEMPLATE, a path; default the
    # built-in services/reports/bulletin/template.md.j2), how many units it names best and worst
    # (KP_BULLETIN_RANKED), and the annual plan (万元) above which a unit behind the time schedule is named
    # (KP_BULLETIN_PLAN_THRESHOLD).
    bulletin_template: Path | None = None
    bulletin_ranked: int = Field(default=3, ge=1, le=20)
    bulletin_plan_threshold: Decimal = Field(default=Decimal(10000), ge=0)
    # How often the Prometheus gauges (projects by stage and colour, completion ratios, ranking) are recomputed.
    metrics_refresh_seconds: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _bulletin_template_exists(self):
        if self.bulletin_template is not None and not self.bulletin_template.is_file():
            raise ValueError(f"KP_BULLETIN_TEMPLATE={self.bulletin_template} is not a readable file")
        return self

"""Reports settings (KP_* environment variables)."""
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from contracts.topics import CONSUMERS, named
from kit.settings import ServiceSettings
from services.reports.figures import TargetRounding

DEPLOYMENT_PATTERN = r"^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$"


class District(BaseModel):
    """A district's platform whose events a city's reports reads (纵向报送): its name, the `source` prefix its events
    carry (its KP_EVENT_SOURCE_PREFIX) and its topics' prefix (its KP_TOPIC_PREFIX)."""

    name: str = Field(min_length=1, max_length=50)
    source: str = Field(pattern=DEPLOYMENT_PATTERN, max_length=200)
    topic_prefix: str = Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=200)


class ReportsSettings(ServiceSettings):
    service_name: str = "reports"
    database_url: str = "sqlite+aiosqlite:///data/reports.db"
    port: int = 8004
    # The year-end goal for the start-or-completion rate (KP_TARGET_RATE), e.g. 0.70 for 70 %.
    target_rate: Decimal = Field(default=Decimal("0.70"), ge=0, le=1)
    # How the target becomes a count of projects (KP_TARGET_ROUNDING): `nearest` whole project (x.5 up), as offices
    # count at their meetings, or `up` (ceil).
    target_rounding: TargetRounding = TargetRounding.nearest
    # Whether suspended projects (暂停, approved) count in the start-or-completion rate and its target
    # (KP_SUSPENDED_IN_START_RATE): by default they do, as offices are judged on the list they were given; false
    # leaves them out of both sides of the rate, in the overview, the per-unit breakdown and the rankings.
    suspended_in_start_rate: bool = True
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
    # A city's reports reads its districts' events beside its own (KP_ROLLUP_DISTRICTS, a JSON list of
    # {"name", "source", "topic_prefix"}): their projects count in the city's figures, each district's apart in
    # GET /api/v1/rollup; this deployment's own projects are named KP_DEPLOYMENT_NAME there.
    rollup_districts: list[District] = []
    deployment_name: str = Field(default="市本级", min_length=1, max_length=50)
    # How often the Prometheus gauges (projects by stage and colour, completion ratios, ranking) are recomputed.
    metrics_refresh_seconds: float = Field(default=60.0, gt=0)
    # How many overview and ranking answers an instance keeps serialized, of the database's current change count.
    answers_kept: int = Field(default=256, ge=0)

    @model_validator(mode="after")
    def _districts_apart(self):
        sources = [self.event_source_prefix, *(d.source for d in self.rollup_districts)]
        prefixes = [self.topic_prefix, *(d.topic_prefix for d in self.rollup_districts)]
        if len(set(sources)) < len(sources) or len(set(prefixes)) < len(prefixes):
            raise ValueError("KP_ROLLUP_DISTRICTS: each district needs a source and a topic prefix of its own, "
                             "neither this deployment's (KP_EVENT_SOURCE_PREFIX, KP_TOPIC_PREFIX)")
        return self

    def district_topics(self) -> dict[str, str]:
        """Each district's topics that reports reads, with the source prefix their events carry."""
        return {named(topic, district.topic_prefix): district.source
                for district in self.rollup_districts for topic in CONSUMERS["reports"]}

    @model_validator(mode="after")
    def _bulletin_template_exists(self):
        if self.bulletin_template is not None and not self.bulletin_template.is_file():
            raise ValueError(f"KP_BULLETIN_TEMPLATE={self.bulletin_template} is not a readable file")
        return self

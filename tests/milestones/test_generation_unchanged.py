"""Generation does exactly what it did before it was made faster: for 400 varied projects and requests (every
built-in template, backward and forward, anchors, pins, omitted nodes, overridden durations, calendar and working
days, projects registered mid-flight, suspended or planned too far out, plans made before, during and after their
dates, other alert levels and leads), each node's dates, critical flag, predecessors, baseline, alert row and
history, the schedule row and the schedule.generated event equal what the code generated at commit c3b53c9,
recorded as one fingerprint a case in generated_schedules.json. A change of the rules on purpose records the file
again: `python -m tests.milestones.test_generation_unchanged` (and the diff says which cases it changed)."""
import asyncio
import functools
import hashlib
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import orjson

from contracts.milestones import ScheduleMode
from contracts.registry import Stage
from kit.db import make_engine, make_sessionmaker
from kit.errors import Invalid
from services.milestones.models import ProjectFact
from services.milestones.nodes.service import SYSTEM
from services.milestones.schedules import service as schedules
from services.milestones.schedules.schemas import NodeOverride, ScheduleRequest
from services.milestones.settings import MilestonesSettings
from services.milestones.templates.builtin import BUILTIN
from services.milestones.writes import Writes

RECORDED = Path(__file__).with_name("generated_schedules.json")
CASES = 400
CATEGORIES = ["industry", "manufacturing", "services", "agriculture", "infrastructure", "social", "tourism"]
STAGES = [Stage.signed, Stage.land_supplied, Stage.started, Stage.completed, Stage.in_operation]
CHANGING = {"id", "milestone_id", "created_at", "updated_at", "generated_at", "at"}  # ids and wall-clock times


def _day(rng: random.Random, first: date, days: int) -> date:
    return first + timedelta(days=rng.randrange(days))


@functools.lru_cache(maxsize=None)
def _settings(**values) -> MilestonesSettings:
    """Settings made once per variant (reading the environment each time would cost the test most of its time)."""
    return MilestonesSettings(database_url="sqlite+aiosqlite://", daily_scan=False,
                              **{k: list(v) if isinstance(v, tuple) else v for k, v in values.items()})


def _case(index: int) -> tuple[MilestonesSettings, ProjectFact, ScheduleRequest | None, date]:
    """The settings, project, request (None: as on registration) and today of case `index`."""
    rng = random.Random(index)
    start = _day(rng, date(2025, 3, 1), 900) if rng.random() < 0.9 else None
    completion = (start or date(2026, 6, 1)) + timedelta(days=rng.randrange(120, 1200))
    if rng.random() < 0.15:
        completion = None if start else completion
    year = rng.choice([2025, 2026, 2026, 2027, 2015])
    reached = rng.randrange(len(STAGES) + 1) if rng.random() < 0.3 else 0
    stage_dates, at = {}, start or date(2025, 6, 1)
    for stage in STAGES[:reached]:
        at += timedelta(days=rng.randrange(10, 200))
        stage_dates[stage.value] = at.isoformat()
    project = ProjectFact(
        id=f"project-{index}", code=f"G-{index}", name=f"项目{index}", responsible_unit_id="unit-1",
        category=rng.choice(CATEGORIES), year=year, stage=STAGES[reached - 1].value if reached else "planning",
        suspended_on=_day(rng, date(2025, 6, 1), 600) if rng.random() < 0.1 else None,
        planned_start_date=start, planned_completion_date=completion, stage_dates=stage_dates,
        real_start_date=_day(rng, date(2025, 6, 1), 500) if rng.random() < 0.15 else None,
        statistics_included_date=_day(rng, date(2025, 6, 1), 500) if rng.random() < 0.1 else None,
        archived=False, version=1, updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    settings = _settings(
        working_calendar=rng.random() < 0.3, official_calendar=rng.random() < 0.7,
        holidays=tuple(_day(rng, date(2025, 6, 1), 1200) for _ in range(rng.randrange(3))),
        extra_workdays=tuple(_day(rng, date(2025, 6, 1), 1200) for _ in range(rng.randrange(2))),
        replan_lead_days=rng.choice([0, 15, 15, 30]), due_soon_days=rng.choice([0, 7, 7, 14]),
        overdue_thresholds=tuple(rng.choice([[1, 15, 30], [1, 15, 30], [5], [0, 10, 60]])))
    today = _day(rng, date(2025, 1, 1), 1400)
    if rng.random() < 0.5:
        return settings, project, None, today
    template = rng.choice(sorted(BUILTIN))
    keys = [n.key for n in BUILTIN[template][3]]
    request = {"template": template, "mode": rng.choice(list(ScheduleMode)), "replan_past": rng.random() < 0.8}
    if rng.random() < 0.3:
        request["anchor_date"] = _day(rng, date(2025, 1, 1), 1200)
    if rng.random() < 0.3:
        request["anchor_key"] = rng.choice([None, *keys])
    if rng.random() < 0.3:
        request["calendar"] = rng.choice(["calendar", "working"])
    omit = rng.sample(keys, rng.randrange(3)) if rng.random() < 0.4 else []
    kept = [k for k in keys if k not in omit and k != request.get("anchor_key")]
    if omit and len(kept) > 2:
        request["omit"] = omit
    else:
        kept = [k for k in keys if k != request.get("anchor_key")]
    overrides = {}
    for key in rng.sample(kept, min(len(kept), rng.randrange(3))):
        overrides[key] = NodeOverride(
            duration_days=rng.randrange(0, 200) if rng.random() < 0.6 else None,
            planned_date=_day(rng, date(2025, 6, 1), 900) if rng.random() < 0.4 else None,
            responsible_person="张三" if rng.random() < 0.3 else None,
            weight=rng.randrange(1, 5) if rng.random() < 0.3 else None)
    request["overrides"] = overrides
    return settings, project, ScheduleRequest(**request), today


def _plain(row) -> dict:
    """A row's values (an ORM object, a draft, a dict) less its ids and wall-clock times."""
    if not isinstance(row, dict):
        names = row.__table__.columns.keys() if hasattr(row, "__table__") else row.__slots__
        row = {k: getattr(row, k) for k in names}
    return {k: v for k, v in row.items() if k not in CHANGING}


async def generated(index: int, session) -> dict:
    """Case `index` as generated: its schedule row, nodes (with alert rows and history) and event, or why none."""
    settings, project, request, today = _case(index)
    writes = Writes()
    try:
        if request is None:
            made = await schedules.generate_automatically(session=session, project=project, settings=settings,
                                                          today=today, writes=writes)
        else:
            await schedules.generate(session=session, project=project, request=request, actor=SYSTEM,
                                     settings=settings, today=today, existing=[], schedule=None, writes=writes)
            made = True
    except Invalid as exc:
        return {"invalid": str(exc), "errors": exc.errors}
    if not made:
        return {"generated": False}
    (build, subject, _), = writes.events
    keys = {node.id: node.key for node in writes.nodes}
    event = build().model_dump(mode="json")
    for node in event["milestones"]:
        assert keys.pop(node.pop("id")) == node["key"]
    return {"schedule": _plain(writes.schedules[0]), "subject": subject, "event": event,
            "nodes": [{**_plain(node), "alert": _plain(node.alert), "history": [_plain(h) for h in node.history]}
                      for node in writes.nodes]}


async def fingerprints() -> list[str]:
    engine = make_engine("sqlite+aiosqlite://")  # built-in templates: nothing is read, nothing written
    try:
        async with make_sessionmaker(engine)() as session:
            return [hashlib.sha256(orjson.dumps(await generated(i, session), option=orjson.OPT_SORT_KEYS))
                    .hexdigest()[:16] for i in range(CASES)]
    finally:
        await engine.dispose()


async def test_generation_is_what_it_was():
    recorded = orjson.loads(RECORDED.read_bytes())
    now = await fingerprints()
    changed = [i for i, (was, is_) in enumerate(zip(recorded, now)) if was != is_]
    assert not changed, f"cases generated otherwise than recorded: {changed[:20]} (see _case)"
    assert len(now) == len(recorded) == CASES


async def test_the_cases_cover_what_generation_does():
    engine = make_engine("sqlite+aiosqlite://")
    try:
        async with make_sessionmaker(engine)() as session:
            cases = [await generated(i, session) for i in range(CASES)]
    finally:
        await engine.dispose()
    made = [c for c in cases if "schedule" in c]
    assert len(made) > 250 and any("invalid" in c for c in cases)
    assert {c["schedule"]["template"] for c in made} == set(BUILTIN)
    assert {(c["schedule"]["mode"], c["schedule"]["calendar"]) for c in made} == {
        (m, k) for m in ("backward", "forward") for k in ("calendar", "working")}
    assert sum(c["schedule"]["replanned_from"] is not None for c in made) > 20
    nodes = [n for c in made for n in c["nodes"]]
    assert {n["completed_by"] for n in nodes} == {None, "registry", "inferred"}
    assert any(n["pinned"] for n in nodes) and any(n["paused_on"] for n in nodes)
    assert any(n["history"] for n in nodes) and any(not n["critical"] for n in nodes)


if __name__ == "__main__":
    RECORDED.write_bytes(orjson.dumps(asyncio.run(fingerprints()), option=orjson.OPT_INDENT_2) + b"\n")
    sys.exit(0)

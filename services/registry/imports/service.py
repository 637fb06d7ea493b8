"""Project import use-cases: read the file, validate every row as a project create, write in bulk with events.

A row is matched to an existing project by its code. An identical project is left alone (no event); a differing one is
updated with the columns the file has, recorded in its history and announced with ProjectUpdated, as a PATCH would
be. Functions stage events and never commit."""
import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlalchemy import or_, select, update
from sqlalchemy import insert as sql_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import ProjectRegistered, ProjectUpdated
from kit.auth import Principal
from kit.clock import today as clock_today
from kit.clock import utcnow
from kit.errors import Conflict, Invalid
from kit.outbox import stage_many
from services.registry import history
from services.registry.categories import sector_of
from services.registry.events import SOURCE, project_state
from services.registry.imports import sheets
from services.registry.imports.messages import in_chinese, pydantic_in_chinese
from services.registry.imports.schemas import (ALIASES, COLUMNS, EXAMPLE_CODE, EXTRA_COLUMNS, REQUIRED_COLUMNS,
                                               STAGE_DATE_COLUMNS, UNIT_CODE, UNIT_ID, ImportMode, ImportResult,
                                               RowError, TemplateFormat)
from services.registry.investments import service as investments
from services.registry.models import Project, Unit
from services.registry.projects.schemas import CREATE_ONLY_FIELDS, ProjectCreate
from services.registry.projects.service import new_project_errors, new_project_values, rule_errors
from services.registry.settings import RegistrySettings


TITLE_ROWS = 5          # the header may sit below up to this many title rows ("2026年重点项目清单")
LOOKUP_BATCH = 5_000    # values per IN (...) list: below every database's bound-parameter limit
DATE_FIELDS = frozenset({"planned_start_date", "planned_completion_date", "listed_on", *STAGE_DATE_COLUMNS})
NUMBER_FIELDS = frozenset({"total_investment", "annual_plan_investment", "budget", "latitude", "longitude"})
FLAG_FIELDS = frozenset({"government_funded", "concentrated_start"})
BUDGET_FIELDS = frozenset({"budget", "government_funded"})
CREATE_FIELDS = frozenset(ProjectCreate.model_fields)
UPDATE_FIELDS = CREATE_FIELDS - CREATE_ONLY_FIELDS

_KNOWN = {c.field: c for c in (*COLUMNS, *EXTRA_COLUMNS)}
_FIELD_IN_BRACKETS = re.compile(r"^(?P<label>.*?)\s*[(（]\s*(?P<field>[A-Za-z_]+)\s*[)）]$")
# ASCII digits, as the API's dates (\d would also take other scripts' digits)
_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?")
_TAG_SEPARATORS = re.compile(r"[;；,，、|]")


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")").lower()


_BY_NAME = {_normal(name): c.field for c in _KNOWN.values() for name in (c.field, c.label)}


def column_field(header: str) -> str | None:
    """The field a header names: 'label(field)' as the template writes it, the bare field name, or the label."""
    text = header.strip().lstrip("*").strip()
    match = _FIELD_IN_BRACKETS.match(text)
    if match and match["field"].lower() in _KNOWN:
        return match["field"].lower()
    return _BY_NAME.get(_normal(text))


def template(fmt: TemplateFormat) -> bytes:
    """The import template: a header row of '*label(field)' and one example row; the XLSX adds a 说明 sheet."""
    header = [c.header for c in COLUMNS]
    if fmt is TemplateFormat.csv:
        example = [c.example.isoformat() if isinstance(c.example, date) else c.example for c in COLUMNS]
        return sheets.csv_bytes([header, example])
    guide = [["列", "字段", "必填", "说明"]] + [[c.label, c.field, "是" if c.required else "", c.note]
                                          for c in (*COLUMNS, *EXTRA_COLUMNS)]
    text_columns = frozenset(i for i, c in enumerate(COLUMNS) if c.field in ("code", UNIT_CODE, "contact_phone"))
    return sheets.xlsx_bytes({"项目": [header, [c.example for c in COLUMNS]], "说明": guide},
                             text_columns=text_columns)


# ---------------------------------------------------------------- reading the file


@dataclass(frozen=True)
class Layout:
    """Where the header is and which field each column holds."""

    row: int
    columns: list[tuple[int, str, str]]  # (index, header as written, field)
    headers: dict[str, str]              # field -> header as written
    mapped: frozenset[int]               # indexes of the columns above: a value elsewhere has no header

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.headers)


def _error(row: int, column: str | None, field_name: str | None, message: str) -> dict:
    return {"row": row, "column": column, "field": field_name, "message": message}


def _read(content: bytes, *, filename: str | None, content_type: str | None, max_rows: int) -> list[sheets.Row]:
    kind = sheets.detect(content, filename=filename, content_type=content_type)
    rows = []
    for row in sheets.read_rows(content, kind=kind):
        rows.append(row)
        if len(rows) > max_rows + TITLE_ROWS + 1:
            break  # enough to know it is too long; _layout counts precisely
    if not rows:
        raise sheets.unreadable("文件是空的 (the file is empty)")
    return rows


def _layout(rows: list[sheets.Row]) -> Layout:
    """Find the header (the first row naming the code column, else the first row) and check its columns."""
    number, cells = next(((n, c) for n, c in rows[:TITLE_ROWS + 1] if "code" in map(_header_field, c)), rows[0])
    columns, headers, errors = [], {}, []
    for index, cell in enumerate(cells):
        header = _text(cell) if cell not in (None, "") else ""
        if not header:
            continue
        field_name = column_field(header)
        if field_name is None:
            errors.append(_error(number, header, None, "未知的列，请使用导入模板的列"))
        elif field_name in headers:
            errors.append(_error(number, header, field_name, f"该列重复（另见「{headers[field_name]}」）"))
        else:
            headers[field_name] = header
            columns.append((index, header, field_name))
    by_field = {c.field: c for c in COLUMNS}
    for field_name in sorted(REQUIRED_COLUMNS - headers.keys(), key=list(by_field).index):
        errors.append(_error(number, by_field[field_name].header, field_name, "缺少必填列"))
    if UNIT_CODE not in headers and UNIT_ID not in headers:
        errors.append(_error(number, by_field[UNIT_CODE].header, UNIT_CODE, f"缺少必填列（或改用「{UNIT_ID}」列）"))
    if errors:
        raise Invalid(f"the header in row {number} does not match the import template", errors=errors)
    return Layout(row=number, columns=columns, headers=headers, mapped=frozenset(i for i, _, _ in columns))


def _header_field(cell: Any) -> str | None:
    return column_field(cell) if isinstance(cell, str) and cell else None


# ---------------------------------------------------------------- cells to values


def _text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return format(raw, ".15g")  # what Excel shows, without binary noise (0.1 + 0.2)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    return str(raw)


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and len(raw) == 10 and raw[4] == "-":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    match = _DATE.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise ValueError("日期格式错误，应如 2026-03-01")
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        raise ValueError(f"「{raw}」不是有效的日期") from None


def _number(raw: Any) -> Any:
    if isinstance(raw, bool):
        raise ValueError("应为数字")
    if isinstance(raw, (int, Decimal)):
        return raw
    if isinstance(raw, float):
        return Decimal(format(raw, ".15g"))
    return _text(raw).replace(",", "").replace(" ", "")  # "120,000.50" as Excel formats it


def _flag(raw: Any) -> bool:
    """是 / 否 as offices write it (√ / ×, a spreadsheet's TRUE / FALSE or 1 / 0 too)."""
    if isinstance(raw, bool):
        return raw
    flag = ALIASES["bool"].get(_text(raw).strip().lower())
    if flag is None:
        raise ValueError("应为 是 / 否")
    return flag


def _cell(field_name: str, raw: Any) -> Any:
    """The value a create expects, or None for an empty cell; ValueError with the reason when it cannot be one."""
    if raw is None or raw == "":
        return None
    if field_name in DATE_FIELDS:
        return _date(raw)
    if field_name in NUMBER_FIELDS:
        return _number(raw)
    if field_name in FLAG_FIELDS:
        return _flag(raw)
    if field_name in ALIASES:
        text = _text(raw)
        return ALIASES[field_name].get(text, text.lower())
    if field_name == "year":
        return raw if isinstance(raw, int) else _text(raw)
    if field_name == "tags":
        return [t.strip() for t in _TAG_SEPARATORS.split(_text(raw)) if t.strip()]
    return _text(raw)


@dataclass
class ParsedRow:
    number: int
    code: str | None
    unit_code: str | None
    unit_id: str | None
    values: dict | None  # the create's values once the row is valid
    errors: list[dict] = field(default_factory=list)
    stage_given: bool = False  # the row names a stage (an empty cell keeps a registered project's)


def _parse(number: int, cells: list, layout: Layout, today: date) -> ParsedRow:
    """One data row checked as a project create (the unit is resolved later, by one query for all rows)."""
    values, errors = {}, []
    for index, header, field_name in layout.columns:
        try:
            value = _cell(field_name, cells[index] if index < len(cells) else None)
        except ValueError as exc:
            errors.append(_error(number, header, field_name, str(exc)))
            continue
        if value is not None:
            values[field_name] = value
    for index, cell in enumerate(cells):
        if index not in layout.mapped and cell not in (None, ""):
            errors.append(_error(number, get_column_letter(index + 1), None, "该列没有表头，却填写了内容"))
    row = ParsedRow(number=number, code=values.get("code"), unit_code=values.pop(UNIT_CODE, None),
                    unit_id=values.get(UNIT_ID), values=None, errors=errors)
    if row.code == EXAMPLE_CODE:
        errors.append(_error(number, layout.headers["code"], "code", "这是模板的示例行，请替换为项目或删除"))
    if row.unit_code is None and row.unit_id is None:
        unit_field = UNIT_CODE if UNIT_CODE in layout.headers else UNIT_ID
        errors.append(_error(number, layout.headers[unit_field], unit_field, "必填"))
    values.setdefault(UNIT_ID, "")  # resolved from the code once the units are looked up
    stage_dates = {STAGE_DATE_COLUMNS[f]: values.pop(f) for f in list(values) if f in STAGE_DATE_COLUMNS}
    if stage_dates:
        values["stage_dates"] = stage_dates
    try:
        project_in = ProjectCreate.model_validate(values)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            field_name = str(e["loc"][0]) if e["loc"] else None
            errors.append(_error(number, layout.headers.get(field_name), field_name, pydantic_in_chinese(e)))
        return row
    if errors:
        return row
    row.stage_given = "stage" in project_in.model_fields_set
    values = dict(project_in)  # a flat model: its fields as validated, without model_dump's copying
    errors.extend(_error(number, _header_of(layout, e["field"]), e["field"], in_chinese(e["message"]))
                  for e in new_project_errors(values, today=today))
    if not errors:
        row.values = values
    return row


def _header_of(layout: Layout, field_name: str | None) -> str | None:
    """The header a rule's field came from: a stage date's own column (stage_dates.started → started_date)."""
    if field_name and field_name.startswith("stage_dates."):
        field_name = f"{field_name.split('.', 1)[1]}_date"
    return layout.headers.get(field_name)


def _stage_moved(current: dict, row: ParsedRow) -> bool:
    """Whether the file's stage columns say something else than the registered project: stages move by transitions."""
    if row.stage_given and row.values["stage"] != current["stage"]:
        return True
    known = {k: v.isoformat() for k, v in (row.values.get("stage_dates") or {}).items()}
    return any(current["stage_dates"].get(k) != v for k, v in known.items())


def _mark_repeated_codes(rows: list[ParsedRow], layout: Layout) -> None:
    first: dict[str, int] = {}
    for row in rows:
        if row.code is None:
            continue
        if row.code in first:
            row.errors.append(_error(row.number, layout.headers["code"], "code",
                                     f"项目编码重复，首次出现在第 {first[row.code]} 行"))
            row.values = None
        else:
            first[row.code] = row.number


# ---------------------------------------------------------------- lookups


def _batches(values: set[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i:i + LOOKUP_BATCH] for i in range(0, len(ordered), LOOKUP_BATCH)] or [[]]


async def _resolve_units(session: AsyncSession, rows: list[ParsedRow], layout: Layout, principal: Principal) -> None:
    """Turn unit codes into ids (one query for the whole file) and check the caller may write each row's unit."""
    codes = {r.unit_code for r in rows if r.unit_code}
    ids = {r.unit_id for r in rows if r.unit_id}
    if not codes and not ids:
        return
    by_code, known_ids = {}, set()
    code_batches, id_batches = _batches(codes), _batches(ids)
    for i in range(max(len(code_batches), len(id_batches))):
        some_codes = code_batches[i] if i < len(code_batches) else []
        some_ids = id_batches[i] if i < len(id_batches) else []
        for unit_id, code in await session.execute(
                select(Unit.id, Unit.code).where(or_(Unit.code.in_(some_codes), Unit.id.in_(some_ids)))):
            by_code[code] = unit_id
            known_ids.add(unit_id)
    for row in rows:
        unit_id = None
        if row.unit_code is not None:
            unit_id = by_code.get(row.unit_code)
            if unit_id is None:
                row.errors.append(_error(row.number, layout.headers[UNIT_CODE], UNIT_CODE, "没有此编码的单位"))
        if row.unit_id is not None:
            if row.unit_id not in known_ids:
                row.errors.append(_error(row.number, layout.headers[UNIT_ID], UNIT_ID, "没有此单位"))
            elif unit_id is not None and unit_id != row.unit_id:
                row.errors.append(_error(row.number, layout.headers[UNIT_ID], UNIT_ID, "单位 ID 与单位编码指向不同的单位"))
            unit_id = row.unit_id
        if unit_id is not None and principal.unit_id is not None and unit_id != principal.unit_id:
            unit_field = UNIT_CODE if row.unit_code is not None else UNIT_ID
            row.errors.append(_error(row.number, layout.headers[unit_field], unit_field, "只能导入本单位的项目"))
        if row.errors:
            row.values = None
        elif row.values is not None:
            row.values[UNIT_ID] = unit_id


async def _existing(session: AsyncSession, codes: set[str]) -> dict[str, dict]:
    """Projects already registered under these codes, locked (PostgreSQL) until the import commits."""
    found = {}
    if not codes:
        return found
    for batch in _batches(codes):
        query = select(*Project.__table__.columns).where(Project.code.in_(batch)).with_for_update()
        for row in await session.execute(query):
            found[row.code] = dict(row._mapping)
    return found


# ---------------------------------------------------------------- the use-case


def _plain(value: Any) -> Any:
    """Money read back carries six decimals; compare and record it as the client wrote it."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _changes(current: dict, values: dict, layout: Layout) -> dict:
    """The columns of the file applied to an existing project; sector follows PATCH: derived when the category
    changes and the file has no sector column."""
    after = {f: values[f] for f in layout.fields | {UNIT_ID} if f in UPDATE_FIELDS}
    if after.get("listed_on") is None:
        after.pop("listed_on", None)  # an empty cell keeps the list date
    if "sector" in layout.fields:
        after["sector"] = values["sector"] or sector_of(values["category"])
    elif values["category"] != current["category"]:
        after["sector"] = sector_of(values["category"])
    return after


async def import_projects(*, session: AsyncSession, content: bytes, filename: str | None, content_type: str | None,
                          mode: ImportMode, principal: Principal, settings: RegistrySettings) -> ImportResult:
    """Registers the file's new projects and updates the changed ones; all or nothing unless `mode` is partial."""
    # read in a worker thread: a large (or hostile) workbook must not freeze the service's event loop
    rows = await asyncio.to_thread(_read, content, filename=filename, content_type=content_type,
                                   max_rows=settings.import_max_rows)
    layout = _layout(rows)
    data = [(n, cells) for n, cells in rows if n > layout.row]
    if not data:
        raise sheets.unreadable("the file has a header but no data rows")
    if len(data) > settings.import_max_rows:
        raise sheets.unreadable(f"the file has more than {settings.import_max_rows} data rows; split it")
    today = clock_today(settings)
    parsed = [_parse(number, cells, layout, today) for number, cells in data]
    _mark_repeated_codes(parsed, layout)
    await _resolve_units(session, parsed, layout, principal)
    existing = await _existing(session, {r.values["code"] for r in parsed if r.values is not None})

    now = utcnow()
    created, updated, unchanged = [], [], 0
    for row in parsed:
        if row.values is None:
            continue
        current = existing.get(row.values["code"])
        if current is None:
            created.append(new_project_values(row.values, now=now, today=today))
            continue
        column = layout.headers["code"]
        if current["archived"]:
            row.errors.append(_error(row.number, column, "code", "此编码的项目已归档"))
            continue
        if principal.unit_id is not None and current["responsible_unit_id"] != principal.unit_id:
            row.errors.append(_error(row.number, column, "code", "此编码的项目属于其他单位"))
            continue
        if _stage_moved(current, row):
            row.errors.append(_error(row.number, layout.headers.get("stage", column), "stage",
                                     f"已登记项目的阶段变化请通过阶段变更办理（当前阶段 {current['stage']}）"))
            continue
        after = _changes(current, row.values, layout)
        merged = {**{f: current[f] for f in CREATE_FIELDS}, **after}
        broken = rule_errors(merged)
        if broken:
            row.errors.extend(_error(row.number, _header_of(layout, e["field"]), e["field"],
                                     f"{in_chinese(e['message'])}（按项目现有数据核对）") for e in broken)
            continue
        changed = {f: v for f, v in after.items() if current[f] != v}
        if not changed:
            unchanged += 1
            continue
        updated.append(({**current, **changed, "version": current["version"] + 1, "updated_at": now},
                        {f: {"before": current[f], "after": v} for f, v in changed.items()}))

    errors = sorted((e for r in parsed for e in r.errors), key=lambda e: e["row"])
    failed = sum(1 for r in parsed if r.errors)
    shown = errors[:settings.import_max_reported_errors]
    if failed and mode is ImportMode.all_or_nothing:
        more = f"; the first {len(shown)} of {len(errors)} errors are listed" if len(shown) < len(errors) else ""
        raise Invalid(f"{failed} of {len(parsed)} rows are not valid; nothing was imported{more} "
                      f"（{len(parsed)} 行中 {failed} 行有误，未导入任何数据）", errors=shown)

    await _write(session, created=created, updated=updated, actor=principal.subject)
    return ImportResult(mode=mode, rows=len(parsed), created=len(created), updated=len(updated), unchanged=unchanged,
                        failed=failed, errors=[RowError(**e) for e in shown], errors_truncated=len(shown) < len(errors))


async def _write(session: AsyncSession, *, created: list[dict], updated: list[tuple[dict, dict]], actor: str) -> None:
    """Bulk insert and update, history of the updates, and one event per project staged in the same transaction.

    `updated` pairs each project as it becomes with its changed fields' {"before", "after"}."""
    try:
        if created:
            await session.execute(sql_insert(Project.__table__), created)
        if updated:
            await session.execute(update(Project), [{f: project[f] for f in ("id", "version", "updated_at", *changed)}
                                                    for project, changed in updated])
    except IntegrityError as exc:
        raise Conflict("a project code of the file was registered meanwhile; import the file again") from exc
    await history.record_many(session, actor=actor, action="updated", note="import", entries=[
        (project["id"], history.diff({f: _plain(c["before"]) for f, c in changed.items()},
                                     {f: _plain(c["after"]) for f, c in changed.items()}))
        for project, changed in updated])
    events = [(ProjectRegistered.model_validate(project_state(p)), p["id"]) for p in created]
    events += [(ProjectUpdated.model_validate({**project_state(p), "changed": sorted(changed)}), p["id"])
               for p, changed in updated]
    await stage_many(session, events, source=SOURCE)
    # As a PATCH does: a government-funded project whose budget or flag changed announces its budget figures.
    for project, changed in updated:
        if project["government_funded"] and changed.keys() & BUDGET_FIELDS:
            await investments.announce_budget(session=session, project=SimpleNamespace(**project),
                                              adjustment_approved=False)

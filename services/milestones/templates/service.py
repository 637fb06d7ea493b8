"""Template use-cases: resolve a template by key (built-in or custom), list, create, update. Never commit."""
import base64
import logging
from collections.abc import Mapping, Sequence
from datetime import date

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registry import Category
from kit.auth import Principal
from kit.clock import utcnow
from kit.errors import Conflict, Invalid, NotFound, field_error
from kit.pagination import PageParams, page_of
from services.milestones.models import CustomTemplate
from services.milestones.network import DependencyCycle, NetworkError, UnknownPredecessor
from services.milestones.scheduling import Mode, PlanNode, plan
from services.milestones.templates.builtin import BUILTIN, DEFAULT_FOR_CATEGORY, GENERIC_TEMPLATE
from services.milestones.templates.schemas import (TemplateCreate, TemplateNode, TemplatePublic,
                                                   TemplateUpdate)

log = logging.getLogger(__name__)
_SPAN_ANCHOR = date(2000, 1, 1)


def check_network(nodes: Sequence[TemplateNode], *, field: str = "nodes") -> None:
    """Raise 422 naming the node when keys repeat, a predecessor is unknown, the dependencies cycle, or two
    nodes claim the same stage or registry fact."""
    index = {}
    errors = []
    for i, node in enumerate(nodes):
        if node.key in index:
            errors.append(field_error(f"{field}[{i}].key", f"the key '{node.key}' is used twice"))
        index.setdefault(node.key, i)
    for attribute in ("stage", "trigger"):
        claimed: dict[str, str] = {}
        for i, node in enumerate(nodes):
            value = getattr(node, attribute)
            if value is None:
                continue
            if value in claimed:
                errors.append(field_error(f"{field}[{i}].{attribute}",
                                          f"node '{node.key}' claims {attribute} '{value}' of node '{claimed[value]}'"))
            claimed.setdefault(value, node.key)
    if errors:
        raise Invalid(errors[0]["message"], errors=errors)
    try:
        plan([PlanNode(n.key, n.duration_days, tuple(n.predecessors)) for n in nodes], mode=Mode.forward,
             anchor=_SPAN_ANCHOR)
    except UnknownPredecessor as exc:
        raise Invalid(str(exc), errors=[field_error(f"{field}[{index[exc.node]}].predecessors",
                                                    f"unknown node '{exc.predecessor}'")]) from exc
    except DependencyCycle as exc:
        raise Invalid(str(exc), errors=[field_error(f"{field}[{index[key]}].predecessors",
                                                    f"node '{key}' is on the cycle {' → '.join(exc.cycle)}")
                                        for key in dict.fromkeys(exc.cycle)]) from exc
    except NetworkError as exc:  # pragma: no cover - every network error is one of the two above
        raise Invalid(str(exc), errors=[field_error(field, str(exc))]) from exc


def total_duration(nodes: Sequence[TemplateNode]) -> int:
    """Days from the first node to the last when every node follows its predecessors at once."""
    dates = plan([PlanNode(n.key, n.duration_days, tuple(n.predecessors)) for n in nodes], mode=Mode.forward,
                 anchor=_SPAN_ANCHOR)
    return (max(dates.values()) - _SPAN_ANCHOR).days


def _builtin(key: str) -> TemplatePublic:
    name, name_en, categories, nodes = BUILTIN[key]
    return TemplatePublic(key=key, name=name, name_en=name_en, category=categories[0], builtin=True, version=1,
                          nodes=nodes, total_duration_days=total_duration(nodes))


BUILTIN_PUBLIC = {key: _builtin(key) for key in BUILTIN}
for _template in BUILTIN_PUBLIC.values():
    check_network(_template.nodes)


def _public(row: CustomTemplate) -> TemplatePublic:
    nodes = [TemplateNode.model_validate(n) for n in row.nodes]
    return TemplatePublic(key=row.key, name=row.name, name_en=row.name_en, category=row.category,
                          description=row.description, builtin=False, version=row.version, nodes=nodes,
                          total_duration_days=total_duration(nodes), created_at=row.created_at,
                          updated_at=row.updated_at)


async def default_key(*, session: AsyncSession, category: str, configured: Mapping[str, str]) -> str:
    """The template a project of this category gets by default: the configured one (KP_CATEGORY_TEMPLATES) when it
    exists, else the built-in one, else (a category configured in the registry only) GENERIC_TEMPLATE."""
    key = configured.get(category)
    if key and key not in BUILTIN and await session.get(CustomTemplate, key) is None:
        log.warning("the default template %s of category %s does not exist: the built-in one is used", key, category)
        key = None
    return key or DEFAULT_FOR_CATEGORY.get(category, GENERIC_TEMPLATE)


async def with_default_for(*, session: AsyncSession, templates: list[TemplatePublic],
                           configured: Mapping[str, str]) -> list[TemplatePublic]:
    """The templates with the categories whose projects get each by default (`default_key`, so as configured): the
    built-in categories and those KP_CATEGORY_TEMPLATES names."""
    default_for: dict[str, list[str]] = {}
    for category in dict.fromkeys([*Category, *configured]):
        key = await default_key(session=session, category=category, configured=configured)
        default_for.setdefault(key, []).append(category)
    return [t.model_copy(update={"default_for": default_for.get(t.key, [])}) for t in templates]


async def get(*, session: AsyncSession, key: str) -> TemplatePublic:
    """Gets a template by its key, built-in or custom."""
    if key in BUILTIN_PUBLIC:
        return BUILTIN_PUBLIC[key]
    row = await session.get(CustomTemplate, key)
    if row is None:
        raise NotFound(f"template {key} does not exist")
    return _public(row)


async def list_(*, session: AsyncSession, params: PageParams, category: str | None) -> tuple[list, str | None]:
    """Lists built-in and custom templates by key, optionally those for one category."""
    after = _cursor_key(params)
    query = select(CustomTemplate).order_by(CustomTemplate.key).limit(params.limit + 1)
    if after:
        query = query.where(CustomTemplate.key > after)
    if category is not None:
        query = query.where(CustomTemplate.category == category)
    found = [_public(row) for row in (await session.scalars(query)).all()]
    found += [t for key, t in BUILTIN_PUBLIC.items()
              if (after is None or key > after) and (category is None or category in BUILTIN[key][2])]
    found.sort(key=lambda t: t.key)
    return page_of(found, params, keys=lambda t: [t.key])


def _cursor_key(params: PageParams) -> str | None:
    """The last key of the previous page (the cursor page_of wrote)."""
    if not params.cursor:
        return None
    try:
        return str(orjson.loads(base64.urlsafe_b64decode(params.cursor.encode() + b"=="))[0])
    except (ValueError, TypeError, IndexError, orjson.JSONDecodeError) as exc:
        raise Invalid("the cursor is not valid",
                      errors=[field_error("cursor", "not a cursor from this request")]) from exc


async def create(*, session: AsyncSession, template_in: TemplateCreate, principal: Principal) -> TemplatePublic:
    """Stores a custom template after checking its network."""
    if template_in.key in BUILTIN:
        raise Conflict(f"'{template_in.key}' is a built-in template")
    check_network(template_in.nodes)
    now = utcnow()
    row = CustomTemplate(key=template_in.key, name=template_in.name, name_en=template_in.name_en,
                         category=template_in.category, description=template_in.description,
                         nodes=[n.model_dump(mode="json") for n in template_in.nodes], version=1,
                         created_by=principal.subject, created_at=now, updated_at=now)
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the template key '{template_in.key}' is already taken") from exc
    return _public(row)


async def update(*, session: AsyncSession, key: str, template_in: TemplateUpdate) -> TemplatePublic:
    """Replaces a custom template; schedules generated from it before keep their nodes."""
    if key in BUILTIN:
        raise Conflict(f"'{key}' is a built-in template and cannot be changed; create a custom one from it")
    row = await session.get(CustomTemplate, key, with_for_update=True)
    if row is None:
        raise NotFound(f"template {key} does not exist")
    check_network(template_in.nodes)
    row.name, row.name_en = template_in.name, template_in.name_en
    row.category, row.description = template_in.category, template_in.description
    row.nodes = [n.model_dump(mode="json") for n in template_in.nodes]
    row.version += 1
    row.updated_at = utcnow()
    await session.flush()
    return _public(row)

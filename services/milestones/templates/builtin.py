"""The built-in schedule templates, one per kind of project, as data; each project category has a default one.

Each row: key, Chinese name, English name, duration in days from the latest predecessor, predecessors, the registry
stage or fact that completes the node (None: completed by hand), weight. Durations are typical figures an office
starts from; a schedule request may override any of them.
"""
from contracts.registry import Category, Stage
from services.milestones.templates.schemas import TemplateNode, Trigger

_ROWS = tuple[str, str, str, int, tuple[str, ...], Stage | Trigger | None, int]


def _nodes(rows: list[_ROWS]) -> list[TemplateNode]:
    return [
        TemplateNode(key=key, name=name, name_en=name_en, duration_days=days, predecessors=list(before),
                     stage=done_by if isinstance(done_by, Stage) else None,
                     trigger=done_by if isinstance(done_by, Trigger) else None, weight=weight)
        for key, name, name_en, days, before, done_by, weight in rows
    ]


INDUSTRIAL = _nodes([
    ("signed", "签约", "Investment agreement signed", 0, (), Stage.signed, 1),
    ("land_supplied", "供地", "Land supplied", 60, ("signed",), Stage.land_supplied, 2),
    ("planning_permit", "规划许可", "Planning permit", 30, ("land_supplied",), None, 1),
    ("environmental_approval", "环评批复", "Environmental impact approval", 45, ("land_supplied",), None, 1),
    ("construction_permit", "施工许可", "Construction permit", 20, ("planning_permit", "environmental_approval"),
     None, 1),
    ("started", "开工", "Construction started", 15, ("construction_permit",), Stage.started, 3),
    ("real_start", "实质性开工", "Real start (piling or controlling works)", 15, ("started",), Trigger.real_start, 2),
    ("topped_out", "主体封顶", "Main structure topped out", 180, ("real_start",), None, 2),
    ("completion_acceptance", "竣工验收", "Completion acceptance", 90, ("topped_out",), Stage.completed, 3),
    ("in_operation", "投产", "In operation", 30, ("completion_acceptance",), Stage.in_operation, 2),
    ("statistics_included", "入库纳统", "Included in the statistics database", 30, ("real_start",),
     Trigger.statistics_included, 1),
])

INFRASTRUCTURE = _nodes([
    ("project_approval", "立项批复", "Project approval", 0, (), Stage.signed, 1),
    ("feasibility_approval", "可研批复", "Feasibility study approval", 45, ("project_approval",), None, 1),
    ("land_supplied", "用地批复", "Land use approved", 60, ("project_approval",), Stage.land_supplied, 2),
    ("preliminary_design", "初步设计批复", "Preliminary design approval", 45, ("feasibility_approval",), None, 1),
    ("tender", "施工招标", "Construction tender awarded", 30, ("preliminary_design",), None, 1),
    ("construction_permit", "施工许可", "Construction permit", 20, ("tender", "land_supplied"), None, 1),
    ("started", "开工", "Construction started", 10, ("construction_permit",), Stage.started, 3),
    ("real_start", "实质性开工", "Real start (piling or controlling works)", 15, ("started",), Trigger.real_start, 2),
    ("main_works", "主体工程完工", "Main works finished", 270, ("real_start",), None, 2),
    ("completion_acceptance", "竣工验收", "Completion acceptance", 60, ("main_works",), Stage.completed, 3),
    ("in_operation", "交付使用", "Handed over for use", 30, ("completion_acceptance",), Stage.in_operation, 2),
    ("statistics_included", "入库纳统", "Included in the statistics database", 30, ("real_start",),
     Trigger.statistics_included, 1),
])

SERVICES = _nodes([
    ("signed", "签约", "Investment agreement signed", 0, (), Stage.signed, 1),
    ("land_supplied", "供地", "Land supplied", 60, ("signed",), Stage.land_supplied, 2),
    ("planning_permit", "规划许可", "Planning permit", 30, ("land_supplied",), None, 1),
    ("construction_permit", "施工许可", "Construction permit", 30, ("planning_permit",), None, 1),
    ("started", "开工", "Construction started", 15, ("construction_permit",), Stage.started, 3),
    ("real_start", "实质性开工", "Real start (piling or controlling works)", 15, ("started",), Trigger.real_start, 2),
    ("topped_out", "主体封顶", "Main structure topped out", 150, ("real_start",), None, 2),
    ("completion_acceptance", "竣工验收", "Completion acceptance", 60, ("topped_out",), Stage.completed, 3),
    ("in_operation", "开业运营", "Open for business", 30, ("completion_acceptance",), Stage.in_operation, 2),
    ("statistics_included", "入库纳统", "Included in the statistics database", 30, ("real_start",),
     Trigger.statistics_included, 1),
])

AGRICULTURE = _nodes([
    ("signed", "签约", "Investment agreement signed", 0, (), Stage.signed, 1),
    ("land_supplied", "土地流转", "Land transferred", 45, ("signed",), Stage.land_supplied, 2),
    ("facility_land_filing", "设施农用地备案", "Facility farmland filed", 30, ("land_supplied",), None, 1),
    ("started", "开工", "Construction started", 15, ("facility_land_filing",), Stage.started, 3),
    ("real_start", "实质性开工", "Real start (piling or controlling works)", 10, ("started",), Trigger.real_start, 2),
    ("facilities_built", "基础设施建成", "Facilities built", 120, ("real_start",), None, 2),
    ("completion_acceptance", "竣工验收", "Completion acceptance", 45, ("facilities_built",), Stage.completed, 3),
    ("in_operation", "投产", "In production", 30, ("completion_acceptance",), Stage.in_operation, 2),
    ("statistics_included", "入库纳统", "Included in the statistics database", 30, ("real_start",),
     Trigger.statistics_included, 1),
])

SOCIAL = _nodes([
    ("project_approval", "立项批复", "Project approval", 0, (), Stage.signed, 1),
    ("feasibility_approval", "可研批复", "Feasibility study approval", 45, ("project_approval",), None, 1),
    ("land_supplied", "用地批复", "Land use approved", 60, ("project_approval",), Stage.land_supplied, 2),
    ("preliminary_design", "初步设计批复", "Preliminary design approval", 45, ("feasibility_approval",), None, 1),
    ("construction_permit", "施工许可", "Construction permit", 20, ("preliminary_design", "land_supplied"), None, 1),
    ("started", "开工", "Construction started", 10, ("construction_permit",), Stage.started, 3),
    ("real_start", "实质性开工", "Real start (piling or controlling works)", 15, ("started",), Trigger.real_start, 2),
    ("topped_out", "主体封顶", "Main structure topped out", 180, ("real_start",), None, 2),
    ("completion_acceptance", "竣工验收", "Completion acceptance", 90, ("topped_out",), Stage.completed, 3),
    ("in_operation", "交付使用", "Handed over for use", 30, ("completion_acceptance",), Stage.in_operation, 2),
    ("statistics_included", "入库纳统", "Included in the statistics database", 30, ("real_start",),
     Trigger.statistics_included, 1),
])

# key: (name, English name, categories it is the default for, nodes)
BUILTIN: dict[str, tuple[str, str, list[Category], list[TemplateNode]]] = {
    "industrial": ("工业项目", "Industrial and manufacturing project", [Category.industry, Category.manufacturing],
                   INDUSTRIAL),
    "infrastructure": ("基础设施项目", "Infrastructure project", [Category.infrastructure], INFRASTRUCTURE),
    "services": ("服务业项目", "Services project", [Category.services], SERVICES),
    "agriculture": ("农业项目", "Agriculture project", [Category.agriculture], AGRICULTURE),
    "social": ("社会事业项目", "Social project (education, health, culture)", [Category.social], SOCIAL),
}

DEFAULT_FOR_CATEGORY: dict[str, str] = {
    category: key for key, (_, _, categories, _) in BUILTIN.items() for category in categories
}

# The template of a category without a built-in one (configured in the registry, KP_EXTRA_CATEGORIES) and not named in
# KP_CATEGORY_TEMPLATES: the industrial one, the most common kind of key project, whose chain is the most complete
# generic one (agreement, land, planning and environmental approvals, permit, start, real start, topping out,
# acceptance, operation, statistics inclusion), with a node for every registry stage and fact.
GENERIC_TEMPLATE = "industrial"

"""Project import: the file's columns (JSON field, Chinese label, example), value aliases, and the API models."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from contracts.registry import Category, Level, Sector, Stage


class ImportMode(StrEnum):
    all_or_nothing = "all_or_nothing"  # any bad row: 422, nothing is written
    partial = "partial"                # good rows are written, bad rows are reported


class TemplateFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


@dataclass(frozen=True)
class Column:
    field: str      # the JSON field name of a project create (responsible_unit_code stands for the unit)
    label: str      # what the office reads
    example: Any
    note: str = ""
    required: bool = False

    @property
    def header(self) -> str:
        """As the template writes it: '*' marks a required column, the field name in brackets."""
        return f"{'*' if self.required else ''}{self.label}({self.field})"


UNIT_CODE, UNIT_ID = "responsible_unit_code", "responsible_unit_id"
EXAMPLE_CODE = "EXAMPLE-001"  # the template's example row: refused, so a forgotten example never becomes a project

COLUMNS: tuple[Column, ...] = (
    Column("code", "项目编码", EXAMPLE_CODE, "唯一；字母、数字和 - _ . /；再次导入时按编码匹配已有项目；"
           "示例行请替换或删除", required=True),
    Column("name", "项目名称", "新能源电池生产基地", required=True),
    Column("year", "年度", 2026, "如 2026", required=True),
    Column("level", "项目级别", "市级", "national 国家级；provincial 省级；municipal 市级；district 区县级；空则为市级"),
    Column("category", "项目类别", "制造业", "industry 工业；manufacturing 制造业；services 服务业；agriculture 农业；"
           "infrastructure 基础设施；social 社会民生；或本平台配置的其他类别", required=True),
    Column("sector", "产业", None, "primary 一产；secondary 二产；tertiary 三产；空则按项目类别推导"),
    Column("total_investment", "总投资（万元）", Decimal("120000.5"), "万元，不小于 0，最多 6 位小数", required=True),
    Column("annual_plan_investment", "年度计划投资（万元）", Decimal("30000"), "万元，不大于总投资", required=True),
    Column(UNIT_CODE, "责任单位编码", "EXAMPLE", "已登记的单位编码；也可改用 responsible_unit_id 列填写单位 ID",
           required=True),
    Column("owner", "业主单位", "某某新能源科技有限公司"),
    Column("lead_leader", "包联领导", "张三"),
    Column("contact_name", "联系人", "李四"),
    Column("contact_phone", "联系电话", "0571-88886666"),
    Column("location", "建设地点", "城关镇工业园区"),
    Column("latitude", "纬度", None, "-90 至 90，最多 6 位小数"),
    Column("longitude", "经度", None, "-180 至 180，最多 6 位小数"),
    Column("planned_start_date", "计划开工日期", date(2026, 3, 1), "如 2026-03-01（也可写 2026/3/1）"),
    Column("planned_completion_date", "计划竣工日期", date(2027, 12, 31), "不早于计划开工日期"),
    Column("government_funded", "政府投资项目", "否", "是 / 否"),
    Column("budget", "预算（万元）", None, "仅政府投资项目填写"),
    Column("concentrated_start", "集中开工", "是", "是 / 否"),
    Column("tags", "标签", "新能源;链主企业", "多个标签用分号分隔"),
    Column("listed_on", "入库日期", date(2026, 1, 1), "纳入重点项目清单的日期；空则为导入当天"),
    Column("stage", "当前阶段", "谋划", "谋划、签约、供地、开工、竣工、投产（或 planning 等）；已在推进的项目填已到达的阶段"),
    Column("signed_date", "签约日期", None, "已签约的项目填写"),
    Column("land_supplied_date", "供地日期", None, "已供地的项目填写"),
    Column("started_date", "开工日期", None, "已开工的项目填写"),
    Column("completed_date", "竣工日期", None, "已竣工的项目填写"),
    Column("in_operation_date", "投产日期", None, "已投产的项目填写"),
)
# The columns that date the stages a project had reached when it was imported.
STAGE_DATE_COLUMNS: dict[str, Stage] = {f"{stage.value}_date": stage for stage in list(Stage)[1:]}
# Accepted besides the template's columns: the unit's id instead of its code (systems that hold ids).
EXTRA_COLUMNS: tuple[Column, ...] = (Column(UNIT_ID, "责任单位ID", None, "单位 ID，与责任单位编码二选一"),)
REQUIRED_COLUMNS = frozenset(c.field for c in COLUMNS if c.required and c.field != UNIT_CODE)

# What offices type for enumerations, besides the JSON values themselves.
ALIASES: dict[str, dict[str, object]] = {
    "level": {"国家级": Level.national, "国家": Level.national, "省级": Level.provincial, "省": Level.provincial,
              "市级": Level.municipal, "市": Level.municipal, "区县级": Level.district, "县级": Level.district,
              "区级": Level.district},
    "category": {"工业": Category.industry, "制造业": Category.manufacturing, "先进制造业": Category.manufacturing,
                 "服务业": Category.services, "现代服务业": Category.services, "农业": Category.agriculture,
                 "现代农业": Category.agriculture, "基础设施": Category.infrastructure,
                 "社会民生": Category.social, "社会事业": Category.social},
    "sector": {"一产": Sector.primary, "第一产业": Sector.primary, "二产": Sector.secondary,
               "第二产业": Sector.secondary, "三产": Sector.tertiary, "第三产业": Sector.tertiary},
    "stage": {"谋划": Stage.planning, "签约": Stage.signed, "已签约": Stage.signed, "供地": Stage.land_supplied,
              "已供地": Stage.land_supplied, "开工": Stage.started, "已开工": Stage.started, "在建": Stage.started,
              "竣工": Stage.completed, "已竣工": Stage.completed, "投产": Stage.in_operation,
              "已投产": Stage.in_operation},
    "bool": {"是": True, "否": False, "√": True, "×": False, "true": True, "false": False, "1": True, "0": False},
}


class RowError(BaseModel):
    row: int            # as the spreadsheet shows it: the header is row 1 (unless title rows precede it)
    column: str | None  # the header as written in the file (or the template's header of a missing column)
    field: str | None   # the JSON field name
    message: str


class ImportResult(BaseModel):
    mode: ImportMode
    rows: int           # data rows read (blank rows are skipped)
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[RowError]
    errors_truncated: bool = False

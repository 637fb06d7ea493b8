"""Reports as tables with Chinese headings, written as CSV (UTF-8 with BOM, for Excel) or XLSX (one sheet a table,
named in Chinese; numbers as number cells with the office's formats: rates 0.0%, 万元 and 亿元 #,##0.00). Text that a
spreadsheet would run as a formula (a project named "=HYPERLINK(...)") is escaped in both."""
import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kit.spreadsheets import safe_cell
from services.reports.exports.schemas import MonthlyReport, RollUp
from services.reports.labels import DIMENSION_LABELS, METRIC_LABELS, VALUE_LABELS, label
from services.reports.overview.schemas import Overview
from services.reports.targets.schemas import COUNT_MEASURES

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
RANKING_GROUPS = {"town": "乡镇街道", "department": "市直部门", "other": "其他单位(区县、园区)", "all": "全部单位"}
PERCENT_FORMAT = "0.0%"
AMOUNT_FORMAT = "#,##0.00"  # 万元, 亿元 and scores: the exact value in the cell, two places shown


@dataclass
class Table:
    sheet: str  # the XLSX sheet name
    title: str  # the Chinese title above it
    header: list[str]
    rows: list[list]


@dataclass(frozen=True)
class Percent:
    """A rate: its exact value in an XLSX cell formatted 0.0%, its display percentage (half up) in CSV."""

    exact: Decimal | None
    shown: str | None


def _overview_rows(overview: Overview) -> list[list]:
    rows = []
    for field in ("project_count", "total_investment", "total_investment_yi", "annual_plan_investment",
                  "annual_plan_investment_yi", "ytd_investment", "ytd_investment_yi"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    rows.append([METRIC_LABELS["investment_completion_rate"], "investment_completion_rate",
                 Percent(overview.investment_completion_rate, overview.investment_completion_rate_percent)])
    for field in ("started_count", "completed_count", "started_or_completed_count"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    rows.append([METRIC_LABELS["start_or_completion_rate"], "start_or_completion_rate",
                 Percent(overview.start_or_completion_rate, overview.start_or_completion_rate_percent)])
    rows.append([METRIC_LABELS["completion_rate"], "completion_rate",
                 Percent(overview.completion_rate, overview.completion_rate_percent)])
    rows.append([METRIC_LABELS["target_rate"], "target_rate",
                 Percent(overview.target_rate, overview.target_rate_percent)])
    rows.append([METRIC_LABELS["target_rounding"], "target_rounding", overview.target_rounding_note])
    for field in ("target_count", "needed_to_reach_target", "real_start_count", "paper_start_count"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    for dimension in ("colour", "grade", "stage", "sector", "category", "level", "bracket"):
        for value, group in getattr(overview, f"by_{dimension}").items():
            rows.append([f"{DIMENSION_LABELS[dimension]}·{group.label}", f"by_{dimension}.{value}", group.count])
    for field, count in overview.three_classes.model_dump().items():
        rows.append([f"三类项目·{VALUE_LABELS['three_class'][field]}", f"three_classes.{field}", count])
    for field, count in overview.statistics.model_dump().items():
        name = {"included_count": "已入库", "submitted_count": "已申报", "rejected_count": "已退回",
                "not_submitted_count": "未申报"}[field]
        rows.append([f"入库纳统·{name}", f"statistics.{field}", count])
    rows.append([METRIC_LABELS["node_on_time_rate"], "nodes.on_time_rate",
                 Percent(overview.nodes.on_time_rate, overview.nodes.on_time_rate_percent)])
    for field in ("late_nodes", "open_tasks", "late_tasks"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    return rows


def _ranking_table(report: MonthlyReport) -> Table:
    header = ["分组", "排名", "名次变化", "单位编码", "单位", "综合得分", "项目数", "年度计划(万元)", "完成投资(万元)",
              "投资完成率", "开工(竣工)率", "竣工率", "节点按期率", "红色", "黄色", "在办督办件", "超期督办件"]
    rows = []
    for group in ("town", "department", "other"):  # every unit once, ranked within its group
        for r in report.rankings[group].items:
            rows.append([RANKING_GROUPS[group], r.rank, r.rank_change, r.unit_code,
                         r.unit_name, r.score_display, r.project_count, r.annual_plan_investment, r.ytd_investment,
                         Percent(r.investment_completion_rate, r.investment_completion_rate_percent),
                         Percent(r.start_or_completion_rate, r.start_or_completion_rate_percent),
                         Percent(r.completion_rate, r.completion_rate_percent),
                         Percent(r.node_on_time_rate, r.node_on_time_rate_percent), r.red_count,
                         r.yellow_count, r.open_tasks, r.late_tasks])
    return Table("单位排名", "单位排名(赛马比拼)", header, rows)


def _lagging_table(report: MonthlyReport, unit_names: dict[str, str]) -> Table:
    header = ["项目编码", "项目名称", "责任单位", "阶段", "红黄蓝", "推进等级", "年度计划(万元)", "完成投资(万元)",
              "逾期节点", "预警原因"]
    rows = [[p.code, p.name, unit_names.get(p.unit_id, p.unit_id), label("stage", p.stage), label("colour", p.colour),
             label("grade", p.grade), p.annual_plan_investment, p.ytd_investment, p.nodes_late,
             "；".join(p.alert_messages)] for p in report.lagging_projects]
    return Table("滞后项目", "滞后及红色警告项目", header, rows)


def _targets_table(report: MonthlyReport) -> Table:
    header = ["目标任务", "年度", "指标", "筛选", "目标值", "已完成", "剩余", "完成率", "未破零"]
    rows = []
    for item in report.targets.items:
        target = item.target
        chosen = "，".join(f"{DIMENSION_LABELS.get(k, k)}={label(k, v)}" for k, v in target.filter.model_dump().items()
                          if v is not None) or "全部"
        whole = int if target.measure in COUNT_MEASURES else Decimal  # a count in a number cell without places
        rows.append([target.name, target.year, label("measure", target.measure), chosen, whole(target.value),
                     whole(item.achieved), whole(item.remaining), Percent(item.rate, item.rate_percent),
                     "是" if item.not_yet_off_zero else "否"])
    return Table("目标任务", "目标任务完成情况", header, rows)


def monthly_tables(report: MonthlyReport) -> list[Table]:
    unit_names = {r.unit_id: r.unit_name for r in report.rankings["all"].items}
    version = f"，第 {report.snapshot_version} 版快照" + (f"（{report.snapshot_reason}）" if report.snapshot_reason else "")
    overview = Table("总览", f"{report.period} 重点项目推进概览(截至 {report.as_of}{version})", ["指标", "字段", "数值"],
                     _overview_rows(report.overview))
    return [overview, _ranking_table(report), _lagging_table(report, unit_names), _targets_table(report)]


def roll_up_tables(roll_up: RollUp) -> list[Table]:
    name = "季度" if roll_up.kind == "quarterly" else "年度"
    header = ["月份", "截至", "项目数", "累计完成投资(万元)", "投资完成率", "开工及竣工个数", "开工(竣工)率", "红色", "黄色",
              "逾期节点", "超期督办件"]
    rows = [[m.period, m.as_of.isoformat(), m.project_count, m.ytd_investment,
             Percent(m.investment_completion_rate, m.investment_completion_rate_percent),
             m.started_or_completed_count, Percent(m.start_or_completion_rate, m.start_or_completion_rate_percent),
             m.red_count, m.yellow_count, m.late_nodes, m.late_tasks]
            for m in roll_up.months]
    rows.append(["期间完成投资(万元)", None, None, roll_up.period_investment, None, None, None, None, None, None, None])
    if roll_up.missing_months:
        rows.append(["未冻结月份", "、".join(roll_up.missing_months), None, None, None, None, None, None, None, None, None])
    months = Table("逐月汇总", f"{roll_up.period} {name}汇总(逐月)", header, rows)
    return [months, *(monthly_tables(roll_up.latest) if roll_up.latest else [])]


def _csv_cell(value) -> str:
    """A CSV field: a number as written (exact), a rate as its display percentage, text escaped."""
    if value is None:
        return ""
    if isinstance(value, Percent):
        return "" if value.shown is None else f"{value.shown}%"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return safe_cell(value)


def _xlsx_cell(value):
    """An XLSX cell's value and number format: numbers stay numbers (a negative one too), text is escaped."""
    if isinstance(value, Percent):
        return value.exact, PERCENT_FORMAT
    if isinstance(value, Decimal):
        return value, AMOUNT_FORMAT
    return safe_cell(value), None


def to_csv(tables: list[Table]) -> bytes:
    """Every table under its title, separated by a blank line; UTF-8 with a BOM so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([_csv_cell(table.title)])
        writer.writerow([_csv_cell(h) for h in table.header])
        writer.writerows([[_csv_cell(v) for v in row] for row in table.rows])
    return (BOM + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: its title on the first row, the header bold on the second."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.sheet[:31])
        sheet.append([safe_cell(table.title)])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([safe_cell(h) for h in table.header])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center")
        for row in table.rows:
            cells = [_xlsx_cell(v) for v in row]
            sheet.append([value for value, _ in cells])
            for cell, (_, number_format) in zip(sheet[sheet.max_row], cells):
                if number_format:
                    cell.number_format = number_format
        for index, _ in enumerate(table.header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 18
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

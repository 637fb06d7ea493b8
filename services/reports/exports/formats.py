"""Reports as tables with Chinese headings, written as CSV (UTF-8 with BOM, for Excel) or XLSX (one sheet a table)."""
import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from services.reports.exports.schemas import MonthlyReport, RollUp
from services.reports.labels import DIMENSION_LABELS, METRIC_LABELS, VALUE_LABELS, label
from services.reports.overview.schemas import Overview

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
RANKING_GROUPS = {"town": "乡镇街道", "department": "市直部门", "other": "其他单位(区县、园区)", "all": "全部单位"}


@dataclass
class Table:
    sheet: str  # the XLSX sheet name
    title: str  # the Chinese title above it
    header: list[str]
    rows: list[list]


def _pct(value: str | None) -> str:
    return "" if value is None else f"{value}%"


def _overview_rows(overview: Overview) -> list[list]:
    rows = []
    for field in ("project_count", "total_investment", "total_investment_yi", "annual_plan_investment",
                  "annual_plan_investment_yi", "ytd_investment", "ytd_investment_yi"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    rows.append([METRIC_LABELS["investment_completion_rate"], "investment_completion_rate",
                 _pct(overview.investment_completion_rate_percent)])
    for field in ("started_count", "completed_count", "started_or_completed_count"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    rows.append([METRIC_LABELS["start_or_completion_rate"], "start_or_completion_rate",
                 _pct(overview.start_or_completion_rate_percent)])
    rows.append([METRIC_LABELS["completion_rate"], "completion_rate", _pct(overview.completion_rate_percent)])
    rows.append([METRIC_LABELS["target_rate"], "target_rate", f"{overview.target_rate * 100:f}%"])
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
    rows.append([METRIC_LABELS["node_on_time_rate"], "nodes.on_time_rate", _pct(overview.nodes.on_time_rate_percent)])
    for field in ("late_nodes", "open_tasks", "late_tasks"):
        rows.append([METRIC_LABELS[field], field, getattr(overview, field)])
    return rows


def _ranking_table(report: MonthlyReport) -> Table:
    header = ["分组", "排名", "名次变化", "单位编码", "单位", "综合得分", "项目数", "年度计划(万元)", "完成投资(万元)",
              "投资完成率", "开工(竣工)率", "竣工率", "节点按期率", "红色", "黄色", "在办督办件", "超期督办件"]
    rows = []
    for group in ("town", "department", "other"):  # every unit once, ranked within its group
        for r in report.rankings[group].items:
            rows.append([RANKING_GROUPS[group], r.rank, "" if r.rank_change is None else r.rank_change, r.unit_code,
                         r.unit_name, r.score_display, r.project_count, r.annual_plan_investment, r.ytd_investment,
                         _pct(r.investment_completion_rate_percent), _pct(r.start_or_completion_rate_percent),
                         _pct(r.completion_rate_percent), _pct(r.node_on_time_rate_percent), r.red_count,
                         r.yellow_count, r.open_tasks, r.late_tasks])
    return Table("ranking", "单位排名(赛马比拼)", header, rows)


def _lagging_table(report: MonthlyReport, unit_names: dict[str, str]) -> Table:
    header = ["项目编码", "项目名称", "责任单位", "阶段", "红黄蓝", "推进等级", "年度计划(万元)", "完成投资(万元)",
              "逾期节点", "预警原因"]
    rows = [[p.code, p.name, unit_names.get(p.unit_id, p.unit_id), label("stage", p.stage), label("colour", p.colour),
             label("grade", p.grade), p.annual_plan_investment, p.ytd_investment, p.nodes_late,
             "；".join(p.alert_messages)] for p in report.lagging_projects]
    return Table("lagging projects", "滞后及红色警告项目", header, rows)


def _targets_table(report: MonthlyReport) -> Table:
    header = ["目标任务", "年度", "指标", "筛选", "目标值", "已完成", "剩余", "完成率", "未破零"]
    rows = []
    for item in report.targets.items:
        target = item.target
        chosen = "，".join(f"{DIMENSION_LABELS.get(k, k)}={label(k, v)}" for k, v in target.filter.model_dump().items()
                          if v is not None) or "全部"
        rows.append([target.name, target.year, label("measure", target.measure), chosen, target.value, item.achieved,
                     item.remaining, _pct(item.rate_percent), "是" if item.not_yet_off_zero else "否"])
    return Table("targets", "目标任务完成情况", header, rows)


def monthly_tables(report: MonthlyReport) -> list[Table]:
    unit_names = {r.unit_id: r.unit_name for r in report.rankings["all"].items}
    overview = Table("overview", f"{report.period} 重点项目推进概览(截至 {report.as_of})", ["指标", "字段", "数值"],
                     _overview_rows(report.overview))
    return [overview, _ranking_table(report), _lagging_table(report, unit_names), _targets_table(report)]


def roll_up_tables(roll_up: RollUp) -> list[Table]:
    name = "季度" if roll_up.kind == "quarterly" else "年度"
    header = ["月份", "截至", "项目数", "累计完成投资(万元)", "投资完成率", "开工及竣工个数", "开工(竣工)率", "红色", "黄色",
              "逾期节点", "超期督办件"]
    rows = [[m.period, m.as_of.isoformat(), m.project_count, m.ytd_investment,
             _pct(m.investment_completion_rate_percent), m.started_or_completed_count,
             _pct(m.start_or_completion_rate_percent), m.red_count, m.yellow_count, m.late_nodes, m.late_tasks]
            for m in roll_up.months]
    rows.append(["期间完成投资(万元)", "", "", "" if roll_up.period_investment is None else roll_up.period_investment,
                 "", "", "", "", "", "", ""])
    if roll_up.missing_months:
        rows.append(["未冻结月份", "、".join(roll_up.missing_months), "", "", "", "", "", "", "", "", ""])
    months = Table("months", f"{roll_up.period} {name}汇总(逐月)", header, rows)
    return [months, *(monthly_tables(roll_up.latest) if roll_up.latest else [])]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return value


def to_csv(tables: list[Table]) -> bytes:
    """Every table under its title, separated by a blank line; UTF-8 with a BOM so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        writer.writerows([[_cell(v) for v in row] for row in table.rows])
    return (BOM + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: its title on the first row, the header bold on the second."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.sheet[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(table.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center")
        for row in table.rows:
            sheet.append([_cell(v) if not isinstance(v, (int, Decimal)) or isinstance(v, bool) else v for v in row])
        for index, _ in enumerate(table.header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 18
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

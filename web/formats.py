"""How people read figures: 万元 and 亿元 as offices write them, dates as 2026年6月15日, colours and stages in Chinese."""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

COLOURS = {"red": "红色", "yellow": "黄色", "blue": "蓝色"}
GRADES = {"faster": "较快", "normal": "正常", "warning": "预警", "lagging": "滞后", "suspended": "暂停",
          "unrated": "未评"}
STAGES = {"planning": "谋划", "signed": "签约", "land_supplied": "供地", "started": "开工", "completed": "竣工",
          "in_operation": "投产"}
LEVELS = {"none": "未升级", "unit_head": "单位主要负责人", "lead_leader": "牵头领导", "accountability": "问责"}
TASK_STATUS = {"open": "办理中", "feedback_submitted": "已反馈待核实", "closed": "已销号"}
CHANGES = {"registered": "登记入库", "updated": "修改信息", "archived": "出库", "stage_changed": "阶段变更",
           "start_confirmed": "确认实质性开工", "document_registered": "上传资料", "investment_reported": "填报投资",
           "investment_corrected": "更正投资", "budget_adjusted": "调整预算", "import": "批量导入",
           "suspension_requested": "申请停工", "suspended": "批准停工", "resumption_requested": "申请复工",
           "resumed": "批准复工", "submit": "申报入库纳统", "accept": "入库纳统通过", "reject": "入库纳统退回"}
REPORT_STATUS = {"submitted": "已报送", "returned": "退回修改", "approved": "已审核"}


def wan(amount) -> str:
    """万元 with two places and thousands separators: 12,345.60."""
    if amount in (None, ""):
        return "—"
    return f"{Decimal(str(amount)).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def yi(amount) -> str:
    """万元 as 亿元 to two places: 565.20."""
    if amount in (None, ""):
        return "—"
    return f"{(Decimal(str(amount)) / 10000).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def day(value) -> str:
    """2026年6月15日."""
    if not value:
        return "—"
    found = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{found.year}年{found.month}月{found.day}日"


FILTERS = {"wan": wan, "yi": yi, "day": day, "colour": lambda c: COLOURS.get(c, c or "—"),
           "grade": lambda g: GRADES.get(g, g or "—"), "stage": lambda s: STAGES.get(s, s or "—"),
           "level": lambda v: LEVELS.get(v, v), "task_status": lambda v: TASK_STATUS.get(v, v),
           "report_status": lambda v: REPORT_STATUS.get(v, v), "change": lambda v: CHANGES.get(v, v)}

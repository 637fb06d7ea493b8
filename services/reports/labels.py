"""Chinese labels of the figures and their groups, as the office reads them on the board and in exports."""

DIMENSION_LABELS = {
    "stage": "项目阶段", "sector": "产业", "category": "项目类别", "level": "项目级别", "bracket": "投资规模",
    "colour": "红黄蓝", "grade": "推进等级", "statistics": "入库纳统", "unit": "责任单位",
}

VALUE_LABELS = {
    "stage": {"planning": "谋划", "signed": "签约", "land_supplied": "供地", "started": "开工", "completed": "竣工",
              "in_operation": "投产"},
    "sector": {"primary": "一产", "secondary": "二产", "tertiary": "三产"},
    "category": {"industry": "工业", "manufacturing": "制造业", "services": "服务业", "agriculture": "农业",
                 "infrastructure": "基础设施", "social": "社会事业"},
    "level": {"national": "国家级", "provincial": "省级", "municipal": "市级", "district": "区县级"},
    "bracket": {"ge_50yi": "50亿元以上", "10_50yi": "10–50亿元", "1_10yi": "1–10亿元", "lt_1yi": "1亿元以下"},
    "colour": {"blue": "蓝色", "yellow": "黄色", "red": "红色"},
    "grade": {"faster": "较快", "normal": "正常", "warning": "预警", "lagging": "滞后", "suspended": "暂停",
              "unrated": "未评定"},
    "statistics": {"not_submitted": "未申报", "submitted": "已申报", "accepted": "已入库", "rejected": "已退回"},
    "unit_kind": {"town": "乡镇", "street": "街道", "department": "市直部门", "district": "区县", "park": "园区"},
    "three_class": {"signed_without_land": "已签约未供地", "land_without_start": "已供地未动工",
                    "started_not_completed": "已动工未竣工"},
    "measure": {"started_count": "开工个数", "completed_count": "竣工个数", "investment_amount": "完成投资(万元)",
                "statistics_count": "入库纳统个数"},
}

METRIC_LABELS = {
    "project_count": "项目总数",
    "total_investment": "总投资(万元)",
    "total_investment_yi": "总投资(亿元)",
    "annual_plan_investment": "年度计划投资(万元)",
    "annual_plan_investment_yi": "年度计划投资(亿元)",
    "ytd_investment": "累计完成投资(万元)",
    "ytd_investment_yi": "累计完成投资(亿元)",
    "investment_completion_rate": "投资完成率",
    "started_count": "在建(已开工未竣工)个数",
    "completed_count": "竣工个数",
    "started_or_completed_count": "开工及竣工个数",
    "start_or_completion_rate": "开工(竣工)率",
    "completion_rate": "竣工率",
    "reporting_on_time_rate": "月调度按时报送率",
    "target_rate": "年度目标开工率",
    "target_count": "目标开工个数",
    "target_rounding": "目标个数取整规则",
    "needed_to_reach_target": "距目标还差(个)",
    "real_start_count": "实质性开工个数",
    "paper_start_count": "未实质性开工个数",
    "node_on_time_rate": "节点按期完成率",
    "nodes_total": "节点总数",
    "nodes_done": "已完成节点",
    "nodes_done_on_time": "按期完成节点",
    "late_nodes": "逾期节点",
    "open_tasks": "在办督办件",
    "late_tasks": "超期督办件",
    "red_count": "红色警告",
    "yellow_count": "黄色预警",
    "score": "综合得分",
}


# The rule a target count was rounded by, shown with the figure.
TARGET_ROUNDING_NOTES = {"nearest": "按四舍五入取整", "up": "按进一法取整"}


def label(dimension: str, value: str) -> str:
    return VALUE_LABELS.get(dimension, {}).get(value, value)

"""Import row messages as the office reads them: the registry's rule messages and pydantic's, in Chinese."""

# The registry's cross-field rules (English in the API's problem details) as an import row reports them.
_RULES = {
    "the annual plan exceeds the total investment": "年度计划投资大于总投资",
    "the planned completion is before the planned start": "计划竣工日期早于计划开工日期",
    "only a government-funded project has a budget": "只有政府投资项目才填写预算",
    "no such unit": "没有此单位",
}

# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) an import row can meet.
_PYDANTIC = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "含有不允许的字符",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "小数位数过多（最多 {decimal_places} 位）",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "date_from_datetime_parsing": "日期格式错误，应如 2026-03-01",
    "date_parsing": "日期格式错误，应如 2026-03-01",
    "too_long": "项目过多（最多 {max_length} 个）",
}


def in_chinese(message: str) -> str:
    """A registry rule's message in Chinese (a message already in Chinese is kept)."""
    return _RULES.get(message, message)


def pydantic_in_chinese(error: dict) -> str:
    """A pydantic validation error in Chinese, its English text when the type is not one an import meets."""
    template = _PYDANTIC.get(error["type"])
    if template is None:
        return in_chinese(error["msg"])
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template

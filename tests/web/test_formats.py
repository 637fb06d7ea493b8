"""How the pages write figures for people: 万元 with two places and separators, 亿元 to two places (half up), dates
as 2026年6月15日, and the Chinese names of colours, grades, stages and levels."""
from datetime import date
from decimal import Decimal

from web.formats import FILTERS, day, wan, yi


def test_amounts_as_offices_write_them():
    assert wan("1234567.005") == "1,234,567.01" and wan(Decimal("0")) == "0.00" and wan(None) == "—"
    assert yi("5652000") == "565.20" and yi("12345") == "1.23" and yi("15000") == "1.50"
    assert yi("125") == "0.01" and yi("") == "—"


def test_dates_and_names_in_chinese():
    assert day(date(2026, 6, 15)) == "2026年6月15日" and day("2026-12-03T09:58:00+00:00") == "2026年12月3日"
    assert day(None) == "—"
    assert (FILTERS["colour"]("red"), FILTERS["grade"]("suspended"), FILTERS["stage"]("land_supplied"),
            FILTERS["level"]("accountability"), FILTERS["task_status"]("feedback_submitted")) == (
        "红色", "暂停", "供地", "问责", "已反馈待核实")
    assert FILTERS["change"]("stage_changed") == "阶段变更" and FILTERS["change"]("something_new") == "something_new"

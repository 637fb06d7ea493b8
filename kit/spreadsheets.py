"""Cells written to CSV and XLSX files people open in Excel: text that a spreadsheet would run as a formula is escaped."""

# A cell starting with one of these is taken as a formula (or can become one) by Excel and LibreOffice (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value unchanged, unless it is text a spreadsheet would run as a formula: then prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

"""Tabular files without domain: tell CSV from XLSX by content, read rows with their numbers, write both formats."""
import codecs
import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
from defusedxml import ElementTree  # no DTDs nor entities: an XML bomb inside a workbook is refused
from openpyxl.styles import Font
from openpyxl.styles.numbers import is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from kit.errors import Invalid, field_error

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other old Office files)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

Row = tuple[int, list[Any]]  # (row number as a spreadsheet shows it, cell values)

# Bounds on an untrusted workbook: the import template is a few dozen columns wide; a cell far to the right (column
# ZZZZZ) would otherwise pad its row with millions of empty cells. A zip entry that inflates a hundredfold, or past the
# total, is a zip bomb.
MAX_COLUMNS = 200
MAX_UNCOMPRESSED_BYTES = 400 << 20
MAX_INFLATION = 100
MAX_ENTRIES = 10_000


def unreadable(message: str) -> Invalid:
    return Invalid(message, errors=[field_error("file", message)])


def detect(content: bytes, *, filename: str | None, content_type: str | None) -> str:
    """'xlsx' or 'csv', by the content's magic bytes first; a declared XLSX that is not a workbook is refused."""
    if not content.strip():
        raise unreadable("the file is empty")
    if content.startswith(_ZIP_MAGIC):
        return "xlsx"
    if content.startswith(_OLE2_MAGIC):
        raise unreadable("this is a legacy Excel .xls file; save it as .xlsx (Excel workbook) or CSV UTF-8")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared == XLSX_MEDIA_TYPE or (filename or "").lower().endswith(".xlsx"):
        raise unreadable("the file is named or sent as XLSX but is not an Excel workbook")
    return "csv"


def read_rows(content: bytes, *, kind: str) -> Iterator[Row]:
    """The file's non-blank rows with their numbers (header included); blank rows are skipped, not renumbered."""
    rows = _xlsx_rows(content) if kind == "xlsx" else _csv_rows(content)
    for number, cells in rows:
        cells = [c.strip() if isinstance(c, str) else c for c in cells]
        if any(c not in (None, "") for c in cells):
            yield number, cells


def _decode(content: bytes) -> str:
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                raise unreadable(f"the file starts like {encoding} text but does not decode as it") from None
    if b"\x00" in content[:4096]:
        raise unreadable("the file is binary, not a CSV text file or an XLSX workbook")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves "CSV (逗号分隔)" in the ANSI code page, GBK, which GB18030 covers.
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise unreadable("the file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as XLSX") from None


def _csv_rows(content: bytes) -> Iterator[Row]:
    text = _decode(content)
    if _CONTROL.search(text[:8192]):
        raise unreadable("the file is binary, not a CSV text file or an XLSX workbook")
    if text.lstrip()[:1] in ("{", "["):
        raise unreadable("the file looks like JSON; send a CSV or XLSX file")
    first_line = text.split("\n", 1)[0]
    # Excel writes commas (CSV), tabs ("Unicode text") or semicolons (some locales); the header line tells which.
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        raise unreadable(f"the CSV is malformed near row {number + 1}: {exc}") from None


def _checked_archive(content: bytes) -> zipfile.ZipFile:
    """The workbook's zip, refused when it is a zip bomb (too many entries, too large inflated, or inflating far
    beyond what XML compresses to)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except Exception:  # noqa: BLE001 - any failure on untrusted bytes means "not a workbook"
        raise unreadable("the file is not a readable XLSX workbook") from None
    total = sum(e.file_size for e in entries)
    if len(entries) > MAX_ENTRIES or total > MAX_UNCOMPRESSED_BYTES or any(
            e.file_size > (1 << 20) and e.file_size > MAX_INFLATION * max(e.compress_size, 1) for e in entries):
        raise unreadable("the workbook inflates far beyond its size (a zip bomb?); save it again from Excel "
                         "(工作簿解压后过大，疑似压缩炸弹)")
    return archive


def _xlsx_rows(content: bytes) -> Iterator[Row]:
    """The first worksheet's rows streamed from its XML: several times cheaper per cell than openpyxl's reader."""
    archive = _checked_archive(content)
    try:
        workbook = _Workbook(archive)
    except Exception:  # noqa: BLE001 - any failure on untrusted bytes means "not a workbook"
        raise unreadable("the file is not a readable XLSX workbook") from None
    try:
        yield from workbook.rows()
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 - a corrupt sheet part (or an XML bomb) inside a valid zip
        raise unreadable("the workbook's first sheet cannot be read") from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # transitional and strict OOXML differ only in namespaces


def _text_of(element) -> str:
    """A shared or inline string: its <t>, or the <t> of each rich-text run; phonetic hints (<rPh>) left out."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


# Number formats Excel does not spell out: the ECMA date ids, and the East Asian ones (yyyy"年"m"月"d"日" is 31).
_DATE_FORMAT_IDS = frozenset({*range(14, 18), 22, *range(27, 32), 36, *range(50, 59)})


class _Workbook:
    """What reading cell values needs: the first sheet's part, shared strings, which styles are dates, the epoch."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = {r.get("Id"): r for r in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))}
        first = next(e for e in workbook.iter() if _local(e.tag) == "sheet")
        relation = relations[next(v for k, v in first.attrib.items() if _local(k) == "id")]
        self.sheet = self._part(relation.get("Target"))
        properties = next((e for e in workbook.iter() if _local(e.tag) == "workbookPr"), None)
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        targets = {r.get("Type", "").rpartition("/")[2]: r.get("Target") for r in relations.values()}
        self.strings = self._shared_strings(targets.get("sharedStrings"))
        self.date_styles = self._date_styles(targets.get("styles"))

    def _part(self, target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")

    def _shared_strings(self, target: str | None) -> list[str]:
        if target is None:
            return []
        strings = []
        with self.archive.open(self._part(target)) as source:
            for _, element in ElementTree.iterparse(source):
                if _local(element.tag) == "si":
                    strings.append(_text_of(element))
                    element.clear()
        return strings

    def _date_styles(self, target: str | None) -> frozenset[int]:
        if target is None:
            return frozenset()
        styles = ElementTree.fromstring(self.archive.read(self._part(target)))
        custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in styles.iter() if _local(f.tag) == "numFmt"}
        cell_formats = next((e for e in styles if _local(e.tag) == "cellXfs"), [])
        dates = set()
        for index, xf in enumerate(cell_formats):
            format_id = int(xf.get("numFmtId", 0))
            code = custom.get(format_id)
            if (is_date_format(code) and not is_timedelta_format(code)) if code else format_id in _DATE_FORMAT_IDS:
                dates.add(index)
        return frozenset(dates)

    def _value(self, cell) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return next((_text_of(e) for e in cell if _local(e.tag) == "is"), None)
        value = next((e.text for e in cell if _local(e.tag) == "v"), None)
        if value is None:
            return None
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return value.strip() in ("1", "true")
        if kind in ("str", "e", "d"):  # formula text, an error such as #N/A, an ISO date
            return value
        if int(cell.get("s", 0)) in self.date_styles:
            return from_excel(float(value), self.epoch)
        return float(value) if any(c in value for c in ".eE") else int(value)

    def rows(self) -> Iterator[Row]:
        number = 0
        with self.archive.open(self.sheet) as source:
            for _, element in ElementTree.iterparse(source):
                if _local(element.tag) != "row":
                    continue
                number = int(element.get("r") or number + 1)
                cells: list[Any] = []
                for cell in element:
                    reference = cell.get("r")
                    index = _column_index(reference) if reference else len(cells)
                    if index >= MAX_COLUMNS:
                        raise unreadable(f"row {number} has a cell in column {reference}, beyond the "
                                         f"{MAX_COLUMNS} columns an import may have (第 {number} 行有超出范围的单元格)")
                    cells.extend([None] * (index - len(cells)))
                    cells.append(self._value(cell))
                element.clear()
                yield number, cells


def csv_bytes(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; CRLF line ends as Excel writes them."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(["" if v is None else v for v in row] for row in rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list[Any]]], *, text_columns: frozenset[int] = frozenset(),
               date_format: str = "yyyy-mm-dd") -> bytes:
    """A workbook with one sheet per entry, bold frozen header; `text_columns` (0-based, first sheet) keep typed
    values as text so Excel does not turn codes or phone numbers into numbers."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in range(1, max((len(r) for r in rows), default=0) + 1):
            letter = get_column_letter(column)
            width = max((len(str(r[column - 1])) * 2 for r in rows if len(r) >= column and r[column - 1]), default=8)
            sheet.column_dimensions[letter].width = min(max(width, 10), 60)
            if index == 0 and column - 1 in text_columns:
                sheet.column_dimensions[letter].number_format = "@"
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.is_date:
                    cell.number_format = date_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

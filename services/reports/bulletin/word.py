"""A bulletin's Markdown as a Word document (python-docx): headings, paragraphs, bullet lists and pipe tables, in the
fonts offices use (仿宋 body, 黑体 headings), page numbers in the footer."""
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT, HEADING_FONT = "仿宋_GB2312", "黑体"


def _font(style, name: str, size: int | None = None) -> None:
    style.font.name = name
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size:
        style.font.size = Pt(size)


def _page_number(document) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table(document, lines: list[str]) -> None:
    rows = [_cells(line) for line in lines if not set(line.replace("|", "").strip()) <= set("-: ")]
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows), style="Table Grid")
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
            if r == 0:
                for run in table.cell(r, c).paragraphs[0].runs:
                    run.bold = True


def to_docx(markdown: str) -> bytes:
    document = Document()
    _font(document.styles["Normal"], BODY_FONT, 14)
    for name in ("Title", "Heading 1", "Heading 2"):
        _font(document.styles[name], HEADING_FONT)
    _page_number(document)
    lines, paragraph = markdown.splitlines(), []

    def flush() -> None:
        if paragraph:
            document.add_paragraph("".join(paragraph))
            paragraph.clear()

    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        if line.startswith("|"):
            flush()
            block = []
            while index < len(lines) and lines[index].startswith("|"):
                block.append(lines[index])
                index += 1
            _table(document, block)
            continue
        if line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            heading = document.add_heading(line[level:].strip(), level=0 if level == 1 else level - 1)
            if level == 1:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif line.startswith("- "):
            flush()
            document.add_paragraph(line[2:].strip(), style="List Bullet")
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
        index += 1
    flush()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

"""Hostile workbooks: a cell far to the right (memory amplification), a zip bomb, an XML entity bomb."""
import io
import time
import zipfile

import openpyxl

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace_sheet(xml: bytes, *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The template workbook with its first sheet's XML replaced."""
    source = zipfile.ZipFile(io.BytesIO(_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as target:
        for item in source.infolist():
            data = xml if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            target.writestr(item.filename, data)
    return out.getvalue()


SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
         b'spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>')


async def upload(registry, content: bytes):
    return await registry.post("/api/v1/projects/import", files={"file": ("list.xlsx", content, XLSX)})


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):  # the peak resident set
                return int(line.split()[1]) / 1024
    return 0.0


async def test_cells_far_to_the_right_are_refused_fast_and_without_memory(platform, registry):
    """Seen: ten rows each with one cell at column ZZZZZ (1.2 KB) took the registry from 349 to 1,198 MiB and froze
    its event loop for 6 s."""
    rows = b"".join(b'<row r="%d"><c r="ZZZZZ%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                    for n in range(1, 11))
    content = _replace_sheet(SHEET % rows)
    assert len(content) < 6000  # a few KB
    pid = platform.services["registry"].process.pid
    before = _rss_mib(pid)
    started = time.monotonic()
    response = await upload(registry, content)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file" and "ZZZZZ1" in response.json()["detail"]
    assert _rss_mib(pid) - before < 50
    assert (await registry.get("/healthz")).status_code == 200


async def test_a_zip_bomb_is_refused(registry):
    rows = b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>'
    padding = b"<!-- " + b"0" * (30 << 20) + b" -->"  # 30 MiB of zeros, a few KB compressed
    response = await upload(registry, _replace_sheet(SHEET % (rows + padding)))
    assert response.status_code == 422 and "zip bomb" in response.json()["detail"]


async def test_an_xml_entity_bomb_is_refused(registry):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
              b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c>'
              b'</row></sheetData></worksheet>')
    response = await upload(registry, _replace_sheet(laughs))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file"

"""Import rows/s: one request importing N new projects (CSV or XLSX), then the same file again (all unchanged).

Run by bench/__main__.py (the_writes) in the platform after its load phases: the import's N events then flow through
the relay and reports in the background, which would skew a phase measured right after it.
"""
import asyncio
import csv
import io
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx
import openpyxl

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["code", "name", "year", "level", "category", "total_investment", "annual_plan_investment",
          "responsible_unit_id", "owner", "lead_leader", "contact_name", "contact_phone", "location",
          "planned_start_date", "planned_completion_date", "concentrated_start", "tags"]


def rows_of(unit_id: str, count: int) -> list[list]:
    """`count` distinct projects of one unit, every common column filled as an office's list would be."""
    run = uuid.uuid4().hex[:6]
    categories = ("industry", "manufacturing", "services", "agriculture", "infrastructure", "social")
    return [[f"BI-{run}-{i:06d}", f"重点项目{i}号", 2026, "municipal", categories[i % 6], str(1000 + i),
             str(100 + i % 900), unit_id, "某某建设有限公司", "张三", "李四", "0571-88886666", "城关镇工业园区",
             "2026-03-01", "2027-12-31", "是" if i % 3 == 0 else "否", "新能源;技改"] for i in range(count)]


def file_of(rows: list[list], fmt: str) -> tuple[bytes, str, str]:
    """(content, file name, media type) of the rows under HEADER."""
    if fmt == "xlsx":
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in [HEADER, *rows]:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue(), "bench.xlsx", XLSX
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8-sig"), "bench.csv", "text/csv"


async def measure(target, *, rows: int = 10_000, fmt: str = "csv", timeout: float = 120.0,
                  landed: Callable[[], Awaitable[bool]] | None = None) -> dict:
    """Time importing `rows` new projects of `target.unit_id` (bench.load.Target: url, headers, unit_id) in one
    request, then the same file again; raises when an import does not do what it should. With `landed` (true once
    every project is wherever it is checked), also the time from the request until it is true (at most `timeout`;
    None if never)."""
    content, filename, media_type = file_of(rows_of(target.unit_id, rows), fmt)
    timings, landed_seconds = [], None
    async with httpx.AsyncClient(base_url=target.url, headers=target.headers, timeout=timeout) as http:
        for expected in ("created", "unchanged"):
            started = time.perf_counter()
            response = await http.post("/api/v1/projects/import", files={"file": (filename, content, media_type)})
            timings.append(time.perf_counter() - started)
            if response.status_code != 200 or response.json()[expected] != rows:
                raise RuntimeError(f"import ({expected}) answered {response.status_code}: {response.text[:500]}")
            if landed is not None and expected == "created":
                while time.perf_counter() - started < timeout:
                    if await landed():
                        landed_seconds = time.perf_counter() - started
                        break
                    await asyncio.sleep(0.1)
    return {"rows": rows, "format": fmt, "bytes": len(content), "seconds": timings[0], "rows_per_s": rows / timings[0],
            "reimport_seconds": timings[1], "reimport_rows_per_s": rows / timings[1], "landed_seconds": landed_seconds}

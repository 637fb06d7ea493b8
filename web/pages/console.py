"""The office's console: the filterable project list and its export, a project's page (stage timeline, Gantt chart,
investment against plan, alerts, tasks, problems, documents, history), the supervision tasks to close (销号), the
month's reporting round to approve or return, the rankings and the month's bulletin."""
import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kit.spreadsheets import safe_cell
from web.api import services
from web.formats import COLOURS, GRADES, LEVELS, STAGES
from web.render import flash, render
from web.session import User, check_csrf, current_user

router = APIRouter(prefix="/console")
FILTERS = ("unit_id", "category", "stage", "colour", "grade", "three_class", "q")
PICTURES = {"image/jpeg", "image/png", "image/webp", "image/gif"}  # drawn by a browser, never run
# where a site photo was taken, as the phone page titles it (现场照片 … 位置 30.123456,120.123456)
PHOTO_PLACE = re.compile(r"位置 (-?\d{1,2}\.\d+),(-?\d{1,3}\.\d+)")
THREE_CLASSES = {"signed_without_land": "已签约未供地", "land_without_start": "已供地未开工",
                 "started_not_completed": "已开工未竣工"}


def office(user: User = Depends(current_user)) -> User:
    """The console is the office's: a unit's user goes to its own page."""
    if not user.office:
        raise HTTPException(status_code=403, detail="督办台仅限项目办使用；请从填报页面办理本单位事项")
    return user


def _filters(request: Request) -> dict:
    return {k: v for k in FILTERS if (v := request.query_params.get(k))}


@router.get("")
async def projects(request: Request, user: User = Depends(office)):
    chosen = _filters(request)
    async with services(request.app.state.settings, user) as api:
        items = await api.items("reports", "/api/v1/projects", **chosen)
        units = await api.items("registry", "/api/v1/units")
    return render(request, "console/projects.html", {
        "projects": items, "units": units, "chosen": chosen, "stages": STAGES, "colours": COLOURS,
        "grades": GRADES, "three_classes": THREE_CLASSES, "query": request.url.query})


@router.get("/export.csv")
async def export(request: Request, user: User = Depends(office)):
    """The list as filtered, for Excel (UTF-8 with BOM; no cell can run as a formula)."""
    async with services(request.app.state.settings, user) as api:
        items = await api.items("reports", "/api/v1/projects", **_filters(request))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["项目编号", "项目名称", "责任单位", "阶段", "预警", "等级", "总投资(万元)", "年度计划(万元)",
                     "累计完成(万元)", "投资完成率"])
    for p in items:
        writer.writerow([safe_cell(v) for v in (
            p["code"], p["name"], p["unit_name"] or "", STAGES.get(p["stage"], p["stage"]),
            COLOURS.get(p["colour"], p["colour"]), GRADES.get(p["grade"], p["grade"]), p["total_investment"],
            p["annual_plan_investment"], p["ytd_investment"],
            f"{p['investment_completion_rate_percent']}%" if p["investment_completion_rate_percent"] else "")])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="projects.csv"'})


def gantt(nodes: list[dict], today: date) -> dict:
    """The schedule as bars on a day scale: each node from its start (planned date less its duration) to its planned
    date, its baseline as a tick, late nodes marked, the critical path in bold."""
    if not nodes:
        return {"rows": [], "width": 0}
    starts = [date.fromisoformat(n["planned_date"]) - timedelta(days=n["duration_days"]) for n in nodes]
    ends = [max(date.fromisoformat(n["planned_date"]), date.fromisoformat(n["baseline_date"]),
                date.fromisoformat(n["actual_date"]) if n["actual_date"] else date.min) for n in nodes]
    first, last = min(starts + [today]), max(ends + [today])
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(760 * (day - first).days / span, 1)

    rows = []
    for n, start in zip(nodes, starts):
        planned = date.fromisoformat(n["planned_date"])
        rows.append({"node": n, "x": x(start), "w": max(x(planned) - x(start), 2), "baseline": x(
            date.fromisoformat(n["baseline_date"])), "actual": x(date.fromisoformat(n["actual_date"]))
            if n["actual_date"] else None, "late": n["status"] in ("overdue", "done_late")})
    return {"rows": rows, "width": 760, "today": x(today), "first": first, "last": last}


def investment_chart(body: dict, year: int) -> list[dict]:
    """Month by month: the amount completed and the plan's even share, cumulated, as bar heights (0-100)."""
    months = {m["period"]: Decimal(m["amount"]) for m in body["items"] if m["year"] == year}
    plan = Decimal(body["annual_plan_investment"] or 0)
    done, bars = Decimal(0), []
    top = max(plan, sum(months.values(), Decimal(0)), Decimal(1))
    for month in range(1, 13):
        done += months.get(f"{year}-{month:02d}", Decimal(0))
        due = plan * month / 12
        bars.append({"month": month, "done": done, "due": due, "done_h": float(done * 100 / top),
                     "due_h": float(due * 100 / top)})
    return bars


@router.get("/projects/{project_id}")
async def project_page(request: Request, project_id: str, user: User = Depends(office)):
    async with services(request.app.state.settings, user) as api:
        project = await api.get("registry", f"/api/v1/projects/{project_id}")
        transitions = await api.get("registry", f"/api/v1/projects/{project_id}/transitions")
        invested = await api.get("registry", f"/api/v1/projects/{project_id}/investments")
        documents = await api.items("registry", f"/api/v1/projects/{project_id}/documents")
        history = (await api.get("registry", f"/api/v1/projects/{project_id}/history", limit=30))["items"]
        nodes = await api.items("milestones", f"/api/v1/projects/{project_id}/milestones")
        status = await api.get("alerts", f"/api/v1/projects/{project_id}/status")
        tasks = await api.items("alerts", "/api/v1/tasks", project_id=project_id)
        problems = await api.get("alerts", f"/api/v1/projects/{project_id}/problems")
        units = {u["id"]: u["name"] for u in await api.items("registry", "/api/v1/units")}
    today = date.fromisoformat(status["as_of"]) if status.get("as_of") else date.today()
    located = {d["id"]: found.groups() for d in documents if (found := PHOTO_PLACE.search(d["title"] or ""))}
    photos = [d for d in documents if d["content_url"] and d["content_type"] in PICTURES]
    nodes.sort(key=lambda n: (n["planned_date"], n["key"]))
    return render(request, "console/project.html", {
        "project": project, "transitions": transitions, "gantt": gantt(nodes, today),
        "chart": investment_chart(invested, project["year"]), "invested": invested, "documents": documents,
        "history": history, "status": status, "tasks": tasks, "problems": problems, "units": units,
        "located": located, "photos": photos,
        "registry_url": request.app.state.settings.registry_url})


@router.get("/projects/{project_id}/photos/{document_id}")
async def photo(request: Request, project_id: str, document_id: str, user: User = Depends(office)):
    """An uploaded site photo shown in the project's gallery, fetched from the registry with the user's token. Only
    pictures a browser draws and never runs (not SVG); sandboxed all the same."""
    async with services(request.app.state.settings, user) as api:
        found = await api.call("registry", "GET", f"/api/v1/projects/{project_id}/documents/{document_id}/content")
    media_type = found.headers.get("content-type", "").split(";")[0]
    if media_type not in PICTURES:
        raise HTTPException(404, "不是照片")
    return Response(found.content, media_type=media_type, headers={
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600"})


@router.post("/projects/{project_id}/coordinates")
async def set_coordinates(request: Request, project_id: str, user: User = Depends(office)):
    """The office confirms where the project is: the place a site photo was taken becomes its coordinates."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    async with services(request.app.state.settings, user) as api:
        # as of the version the office looked at: a project changed since is 412, shown, and looked at again
        await api.call("registry", "PATCH", f"/api/v1/projects/{project_id}",
                       headers={"If-Match": f'"{form.get("version", "")}"'},
                       json={"latitude": form.get("latitude"), "longitude": form.get("longitude")})
    flash(request, "已更新项目坐标")
    return RedirectResponse(f"/console/projects/{project_id}", status_code=303)


@router.get("/supervision")
async def supervision_page(request: Request, user: User = Depends(office)):
    """The supervision day (每月一督导): the frozen lists, the latest one open."""
    async with services(request.app.state.settings, user) as api:
        rounds = (await api.get("alerts", "/api/v1/supervision-rounds", limit=12))["items"]
        latest = await api.get("alerts", f"/api/v1/supervision-rounds/{rounds[0]['id']}") if rounds else None
    return render(request, "console/supervision.html", {"rounds": rounds, "latest": latest})


@router.get("/supervision/{round_id}.csv")
async def supervision_csv(request: Request, round_id: str, user: User = Depends(office)):
    """The frozen list as alerts exports it (UTF-8 with BOM, safe for Excel)."""
    async with services(request.app.state.settings, user) as api:
        exported = await api.call("alerts", "GET", f"/api/v1/supervision-rounds/{round_id}", params={"format": "csv"})
    return Response(exported.content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": exported.headers.get("content-disposition", "attachment")})


@router.post("/supervision")
async def freeze_supervision(request: Request, user: User = Depends(office)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    async with services(request.app.state.settings, user) as api:
        await api.call("alerts", "POST", "/api/v1/supervision-rounds", json={"date": form.get("date") or None})
    flash(request, "督导清单已生成")
    return RedirectResponse("/console/supervision", status_code=303)


@router.get("/tasks")
async def tasks_page(request: Request, user: User = Depends(office)):
    chosen = {k: v for k in ("unit_id", "escalation_level") if (v := request.query_params.get(k))}
    async with services(request.app.state.settings, user) as api:
        tasks = [t for t in await api.items("alerts", "/api/v1/tasks", **chosen) if t["status"] != "closed"]
        units = {u["id"]: u["name"] for u in await api.items("registry", "/api/v1/units")}
    return render(request, "console/tasks.html", {"tasks": sorted(tasks, key=lambda t: (t["deadline"], t["id"])),
                                                  "units": units, "chosen": chosen})


@router.post("/tasks/{task_id}/close")
async def close_task(request: Request, task_id: str, user: User = Depends(office)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    async with services(request.app.state.settings, user) as api:
        await api.call("alerts", "POST", f"/api/v1/tasks/{task_id}/close",
                       json={"verification_note": form.get("verification_note", "")})
    flash(request, "已销号")
    return RedirectResponse("/console/tasks", status_code=303)


@router.post("/tasks/{task_id}/escalate")
async def escalate_task(request: Request, task_id: str, user: User = Depends(office)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    async with services(request.app.state.settings, user) as api:
        task = await api.call("alerts", "POST", f"/api/v1/tasks/{task_id}/escalate",
                               json={"reason": form.get("reason", "")})
    flash(request, f"已提级督办：{LEVELS.get(task['escalation_level'], task['escalation_level'])}")
    return RedirectResponse("/console/tasks", status_code=303)


@router.get("/rounds")
async def rounds_page(request: Request, user: User = Depends(office)):
    async with services(request.app.state.settings, user) as api:
        rounds = await api.get("registry", "/api/v1/reporting-rounds")
        current = await api.get("registry", f"/api/v1/reporting-rounds/{rounds[0]['id']}") if rounds else None
        reports = await api.get("registry", f"/api/v1/reporting-rounds/{rounds[0]['id']}/reports") if rounds else []
        names = {p["id"]: p for p in await api.items("registry", "/api/v1/projects")} if rounds else {}
    return render(request, "console/rounds.html", {"rounds": rounds, "round": current, "reports": reports,
                                                   "projects": names})


@router.post("/rounds/{round_id}/reports/{project_id}")
async def decide_report(request: Request, round_id: str, project_id: str, user: User = Depends(office)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    approve = form.get("decision") == "approve"
    async with services(request.app.state.settings, user) as api:
        await api.call("registry", "POST", f"/api/v1/reporting-rounds/{round_id}/reports/{project_id}/decision",
                       json={"approve": approve, "comment": form.get("comment") or None})
    flash(request, "已审核通过" if approve else "已退回修改")
    return RedirectResponse("/console/rounds", status_code=303)


@router.get("/rankings")
async def rankings_page(request: Request, user: User = Depends(office)):
    group = request.query_params.get("group", "town")
    async with services(request.app.state.settings, user) as api:
        ranking = await api.get("reports", "/api/v1/rankings", group=group)
        overview = await api.get("reports", "/api/v1/overview", year=ranking["year"])
        progress = await api.get("reports", "/api/v1/targets/progress", year=ranking["year"])
        snapshots = await api.get("reports", "/api/v1/snapshots")
    top = max([float(r["score"]) for r in ranking["items"]] + [1.0])
    return render(request, "console/rankings.html", {"ranking": ranking, "group": group, "top": top,
                                                     "overview": overview, "progress": progress,
                                                     "snapshots": snapshots})


@router.get("/bulletin/{period}")
async def bulletin(request: Request, period: str, user: User = Depends(office)):
    """The month's bulletin (调度通报) as Word, fetched from reports with the user's token."""
    async with services(request.app.state.settings, user) as api:
        document = await api.call("reports", "GET", f"/api/v1/reports/bulletin/{period}", params={"format": "docx"})
    return Response(document.content, media_type=document.headers["content-type"],
                    headers={"Content-Disposition": document.headers.get("content-disposition", "attachment")})

"""The unit's phone page (H5 填报): its projects with their colours and why, this month's round to fill in with site
photos from the phone's camera, its supervision tasks to answer, what the office returned for correction."""
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from fastapi.responses import RedirectResponse

from web.api import Services, services
from web.render import flash, render
from web.session import User, check_csrf, current_user

router = APIRouter(prefix="/m")
PROBLEM_TYPES = {"approval": "审批", "land": "用地", "funding": "资金", "environment": "环保", "demolition": "征迁",
                 "energy": "能耗指标", "other": "其他"}


def unit_user(user: User = Depends(current_user)) -> User:
    return user


async def _current_round(api: Services) -> dict | None:
    rounds = await api.get("registry", "/api/v1/reporting-rounds")
    return rounds[0] if rounds else None


@router.get("")
async def my_page(request: Request, user: User = Depends(unit_user)):
    settings = request.app.state.settings
    async with services(settings, user) as api:
        scope = {"unit_id": user.unit_id} if user.unit_id else {}
        projects = await api.items("reports", "/api/v1/projects", **scope)
        round_ = await _current_round(api)
        reports = {r["project_id"]: r for r in await api.get(
            "registry", f"/api/v1/reporting-rounds/{round_['id']}/reports")} if round_ else {}
        tasks = [t for t in await api.items("alerts", "/api/v1/tasks", **scope) if t["status"] != "closed"]
    mine = [p for p in projects if not user.unit_id or p["unit_id"] == user.unit_id]
    return render(request, "unit/home.html", {"projects": mine, "round": round_, "reports": reports,
                                              "tasks": sorted(tasks, key=lambda t: t["deadline"])})


@router.get("/rounds/{round_id}/projects/{project_id}")
async def report_form(request: Request, round_id: str, project_id: str, user: User = Depends(unit_user)):
    async with services(request.app.state.settings, user) as api:
        round_ = await api.get("registry", f"/api/v1/reporting-rounds/{round_id}")
        project = await api.get("registry", f"/api/v1/projects/{project_id}")
        reports = {r["project_id"]: r for r in await api.get("registry", f"/api/v1/reporting-rounds/{round_id}/reports")}
    return render(request, "unit/report.html", {"round": round_, "project": project,
                                                "report": reports.get(project_id), "problem_types": PROBLEM_TYPES})


async def _upload_photos(api: Services, project_id: str, photos: list[UploadFile], where: str) -> list[str]:
    """Each photo stored with the project (its documents), titled with when and where it was taken; their ids."""
    ids = []
    for photo in photos:
        if not photo.filename:
            continue
        title = f"现场照片 {datetime.now():%Y-%m-%d %H:%M}" + (f" 位置 {where}" if where else "")
        stored = await api.call("registry", "POST", f"/api/v1/projects/{project_id}/documents",
                                data={"kind": "site_photo", "title": title[:200]},
                                files={"file": (photo.filename, await photo.read(),
                                                photo.content_type or "application/octet-stream")})
        ids.append(stored["id"])
    return ids


@router.post("/rounds/{round_id}/projects/{project_id}")
async def submit_report(request: Request, round_id: str, project_id: str, user: User = Depends(unit_user)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    photos = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
    async with services(request.app.state.settings, user) as api:
        kept = [p for p in form.getlist("kept_photos") if isinstance(p, str) and p]
        ids = await _upload_photos(api, project_id, photos, str(form.get("location", "")))
        problems = [{"type": t, "description": d} for t, d in zip(form.getlist("problem_type"),
                                                                 form.getlist("problem_description")) if t and d]
        body = {"investment": form.get("investment") or "0", "progress": form.get("progress", ""),
                "next_plan": form.get("next_plan") or None, "photos": kept + ids, "problems": problems}
        await api.call("registry", "PUT", f"/api/v1/reporting-rounds/{round_id}/reports/{project_id}", json=body)
    flash(request, "已报送，等待项目办审核")
    return RedirectResponse("/m", status_code=303)


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, user: User = Depends(unit_user)):
    async with services(request.app.state.settings, user) as api:
        task = await api.get("alerts", f"/api/v1/tasks/{task_id}")
    return render(request, "unit/task.html", {"task": task})


@router.post("/tasks/{task_id}")
async def answer_task(request: Request, task_id: str, user: User = Depends(unit_user)):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    settings = request.app.state.settings
    async with services(settings, user) as api:
        task = await api.get("alerts", f"/api/v1/tasks/{task_id}")
        evidence = []
        if task.get("project_id"):
            photos = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
            for document_id in await _upload_photos(api, task["project_id"], photos, str(form.get("location", ""))):
                evidence.append(f"{settings.registry_url}/api/v1/projects/{task['project_id']}/documents/"
                                f"{document_id}/content")
        await api.call("alerts", "POST", f"/api/v1/tasks/{task_id}/feedback",
                       json={"feedback": form.get("feedback", ""), "evidence": evidence})
    flash(request, "已反馈，等待核实销号")
    return RedirectResponse("/m", status_code=303)

"""The map: projects as markers coloured by their alert colour, clustered when dense, filterable like the list, a
click opening the project's card. Tiles from the city's GIS or 天地图 when KP_WEB_TILE_URL is set; without them the
markers stand over the units' outlines (a GeoJSON the office uploads) on a plain background, so it works offline."""
import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from web.api import services
from web.pages.console import office
from web.render import flash, render
from web.session import User, check_csrf, current_user

router = APIRouter(prefix="/map")
MAX_OUTLINES_BYTES = 5 << 20
CATEGORIES = {"industry": "工业", "manufacturing": "制造业", "services": "服务业", "agriculture": "农业",
              "infrastructure": "基础设施", "social": "社会民生"}


@router.get("")
async def map_page(request: Request, user: User = Depends(current_user)):
    settings = request.app.state.settings
    async with services(settings, user) as api:
        units = [] if user.unit_id else await api.items("registry", "/api/v1/units")
    return render(request, "map.html", {"tiles": settings.web_tile_url, "attribution": settings.web_tile_attribution,
                                        "units": sorted(units, key=lambda u: u["code"]), "categories": CATEGORIES,
                                        "chosen": {k: v for k in ("colour", "unit_id", "category")
                                                   if (v := request.query_params.get(k))}})


@router.get("/data")
async def markers(request: Request, user: User = Depends(current_user)):
    """The projects with coordinates (the registry's), coloured as reports has them, filtered like the list."""
    chosen = {k: v for k in ("colour", "unit_id", "category") if (v := request.query_params.get(k))}
    if user.unit_id:
        chosen["unit_id"] = user.unit_id
    async with services(request.app.state.settings, user) as api:
        figures = {p["id"]: p for p in await api.items("reports", "/api/v1/projects", **chosen)}
        placed = [p for p in await api.items("registry", "/api/v1/projects", **(
            {"unit_id": chosen["unit_id"]} if "unit_id" in chosen else {}))
            if p["latitude"] is not None and p["longitude"] is not None and p["id"] in figures]
    return JSONResponse([{
        "id": p["id"], "code": p["code"], "name": p["name"], "lat": float(p["latitude"]), "lng": float(p["longitude"]),
        "colour": figures[p["id"]]["colour"], "grade": figures[p["id"]]["grade"],
        "unit": figures[p["id"]]["unit_name"], "stage": figures[p["id"]]["stage"],
        "ytd": figures[p["id"]]["ytd_investment"], "plan": figures[p["id"]]["annual_plan_investment"],
        "alerts": figures[p["id"]]["alerts"]} for p in placed])


@router.get("/outlines")
async def outlines(request: Request, user: User = Depends(current_user)):
    path = request.app.state.settings.web_outlines
    if not path.is_file():
        return JSONResponse({"type": "FeatureCollection", "features": []})
    return JSONResponse(json.loads(path.read_text(encoding="utf-8")))


@router.post("/outlines")
async def upload_outlines(request: Request, user: User = Depends(office)):
    """The office uploads its units' outlines (GeoJSON FeatureCollection, a `name` property on each)."""
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    upload = form.get("file")
    content = await upload.read(MAX_OUTLINES_BYTES + 1) if upload is not None and hasattr(upload, "read") else b""
    try:
        document = json.loads(content.decode("utf-8"))
        valid = len(content) <= MAX_OUTLINES_BYTES and document.get("type") == "FeatureCollection" and isinstance(
            document.get("features"), list)
    except (UnicodeDecodeError, ValueError, AttributeError):
        valid = False
    if not valid:
        return render(request, "error.html", {"title": "文件无效", "errors": [], "detail":
                      "请上传 5 MB 以内的 GeoJSON FeatureCollection（UTF-8）"}, status_code=422)
    path = request.app.state.settings.web_outlines
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    flash(request, f"已更新单位边界（{len(document['features'])} 个）")
    return RedirectResponse("/map", status_code=303)

"""Each service's OpenAPI document as a contract: the bearer scheme on every operation that needs a token, the
problem+json answers the services really send (kit.errors) instead of FastAPI's HTTPValidationError, and the server
a caller reached the service through (a prefix set by the entry point)."""
import copy
from collections.abc import Iterator
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from kit.auth import authenticate
from kit.errors import PROBLEM_MEDIA_TYPE

BEARER = "bearer"
# openapi_extra of a route that refuses a change without If-Match (428): the document marks the header required.
IF_MATCH_REQUIRED = "x-if-match-required"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details. `type` is stable; `title` follows Accept-Language (zh-CN by default).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": "https://keyproject.gov.cn/problems/validation-error"},
        "title": {"type": "string", "example": "请求内容无效"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "description": "Each field (or imported row) that is not valid (422).", "items": {
            "type": "object", "required": ["message"],
            "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"},
                           "kind": {"type": "string"}, "row": {"type": "integer"},
                           "column": {"type": ["string", "null"]}}}},
    },
}
DESCRIPTIONS = {
    "400": "请求有误 (the body cannot be read as the media type it names)",
    "401": "缺少或无效的凭证 (no bearer token, or one that is not valid)",
    "403": "无权执行此操作 (the token lacks the scope, or belongs to another unit)",
    "404": "未找到 (no such resource, or a thing a parameter names does not exist)",
    "409": "与当前状态冲突 (conflicts with the current state)",
    "412": "资源已被他人修改 (If-Match names an older version)",
    "413": "上传内容过大 (the upload is larger than the service accepts)",
    "415": "媒体类型不受支持 (the body is not of a media type this operation reads)",
    "422": "请求内容无效 (fields that are not valid, each in `errors`)",
    "428": "需要 If-Match 请求头 (send the resource's ETag)",
    "503": "暂时无法提供服务 (the database or the configuration is unavailable; nothing was changed)",
}


# ReDoc as one file from a package (government intranets have no internet, so no CDN); Swagger UI is kit.app's.
REDOC_JS = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"


def install(app: FastAPI) -> None:
    """Serve /openapi.json built once by `document`, with the caller's server (root_path) per request, and /redoc."""
    app.openapi = lambda: app.openapi_schema or _cache(app)

    @app.get(app.openapi_url, include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        served = copy.copy(app.openapi())
        served["servers"] = [{"url": request.scope.get("root_path", "").rstrip("/") or "/"}]
        return JSONResponse(served)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{root}/docs/assets/redoc.standalone.js", with_google_fonts=False,
                              redoc_favicon_url=f"{root}/docs/assets/favicon-32x32.png")

    @app.get("/docs/assets/redoc.standalone.js", include_in_schema=False)
    async def redoc_js() -> FileResponse:
        return FileResponse(REDOC_JS, media_type="application/javascript")


def _cache(app: FastAPI) -> dict:
    app.openapi_schema = document(app)
    return app.openapi_schema


def document(app: FastAPI) -> dict:
    spec = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    assert "ProblemDetails" not in schemas, "a service model is named ProblemDetails: rename it"
    schemas["ProblemDetails"] = PROBLEM_SCHEMA
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            _say_unit(name, prop)
    components["securitySchemes"] = {BEARER: {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A JWT with the scopes the operation names (and, for a unit's user, its unit_id)."}}
    routes = {(route.path_format, method.lower()): route for route in iter_route_contexts(app.routes)
              if isinstance(route.original_route, APIRoute) for method in route.methods}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            if route is not None:
                _describe(operation, route, path, method)
    _state_no_nul(spec)
    return spec


NO_NUL = {"pattern": "^[^\\x00]*$"}


def _state_no_nul(spec: dict) -> None:
    """JSON bodies (kit.inputs.Strict), paths and queries (kit.errors.RefuseNul) refuse text holding NUL: say so on
    every string they may hold."""
    schemas = spec["components"]["schemas"]
    seen: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/") and ref not in seen:
            seen.add(ref)
            visit(schemas[ref.rsplit("/", 1)[1]])
        if node.get("type") == "string" and not {"enum", "const", "format"} & node.keys():
            # An anchored pattern states the whole text (kit.inputs writes those to exclude NUL; the schemathesis
            # contract test would find one that did not); any other gets the NUL rule beside it.
            pattern = node.get("pattern")
            if pattern is None:
                node.update(NO_NUL)
            elif not (pattern.startswith("^") and pattern.endswith("$")) and NO_NUL not in node.get("allOf", []):
                node.setdefault("allOf", []).append(NO_NUL)
        for key, value in node.items():
            if key != "$ref":
                visit(value)

    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            visit(operation.get("requestBody", {}).get("content", {}).get("application/json", {}))
            visit([p.get("schema") for p in operation.get("parameters", []) if p.get("in") in ("path", "query")])


def _describe(operation: dict, route: RouteContext, path: str, method: str) -> None:
    responses = operation.setdefault("responses", {})
    statuses = {"422", "503"}
    scopes = _scopes(route.dependant)
    if scopes is not None:
        operation["security"] = [{BEARER: []}]
    if "security" in operation:  # required here, or declared optional by the route ([{}, {bearer: []}])
        statuses |= {"401", "403"}
        if scopes:
            named = "、".join(sorted(scopes))
            operation["description"] = f"{operation.get('description', '')}\n\n需要的 scope：{named}".strip()
    if "{" in path or path.startswith("/api/"):
        statuses.add("404")
    if method in ("post", "put", "patch", "delete"):
        statuses.add("409")
    body = operation.get("requestBody", {}).get("content", {})
    if body:
        statuses |= {"400", "415"}
    if "multipart/form-data" in body:
        statuses.add("413")
    if_match = [p for p in operation.get("parameters", []) if p.get("in") == "header" and p["name"].lower() == "if-match"]
    if if_match:
        statuses.add("412")
        if operation.pop(IF_MATCH_REQUIRED, False):
            if_match[0]["required"] = True
            statuses.add("428")
    responses.pop("422", None)  # FastAPI's HTTPValidationError, which kit.errors never sends
    _conditional(operation, responses, method)
    for status in sorted(statuses):
        responses.setdefault(status, {"description": DESCRIPTIONS[status], "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}})


ETAG_HEADER = {"description": "强 ETag：资源的版本号，或响应内容的摘要 (kit.conditional)", "schema": {"type": "string"}}


def _conditional(operation: dict, responses: dict, method: str) -> None:
    """What kit.conditional adds to every service: 201 with Location and ETag; a GET's ETag and its 304."""
    if "201" in responses:
        responses["201"]["headers"] = {
            "Location": {"description": "新建资源的地址", "required": True, "schema": {"type": "string"}},
            "ETag": {**ETAG_HEADER, "required": True}}
    if method == "get" and "200" in responses:
        responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
        responses["304"] = {"description": "未修改 (If-None-Match names the current ETag; no body)",
                            "headers": {"ETag": {**ETAG_HEADER, "required": True}}}
        operation.setdefault("parameters", []).append({
            "name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "上次读到的 ETag：未变时答 304，不带内容"})


def _unit(name: str) -> str | None:
    """What a figure is measured in, by the API's naming: amounts in 万元 (亿元 for `_yi`), rates as fractions."""
    if name.endswith("_yi"):
        return "单位：亿元（1 亿元 = 10,000 万元），两位小数，仅供展示"
    if name.endswith("_percent"):
        return "百分数，四舍五入后仅供展示（精确值见同名的比率字段）"
    if name.endswith(("_rate", "_ratio", "_share")):
        return "比率，小数表示（1 = 100%）"
    if any(word in name for word in ("investment", "amount", "budget")) and not name.endswith(("_count", "_id")):
        return "单位：万元"
    return None


def _say_unit(name: str, prop: dict) -> None:
    kinds = {prop.get("type"), *(branch.get("type") for branch in prop.get("anyOf", []))}
    unit = _unit(name) if kinds & {"string", "number", "integer"} else None
    if unit and unit not in prop.get("description", ""):
        prop["description"] = f"{prop['description']}（{unit}）" if prop.get("description") else unit


def _scopes(dependant: Dependant) -> set[str] | None:
    """The scopes the operation's dependencies require; None when it needs no token at all."""
    calls = [dep.call for dep in _tree(dependant)]
    scopes = {scope for call in calls if (scope := getattr(call, "required_scope", None))}
    return scopes if scopes or authenticate in calls else None


def _tree(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _tree(dependency)

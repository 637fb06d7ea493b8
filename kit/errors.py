"""Domain exceptions and their one translation into RFC 9457 problem+json responses."""
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.asgi import HttpMiddleware
from kit.db import database_unavailable
from kit.inputs import FieldsRefused

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://keyproject.gov.cn/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """A failure the client can act on; `slug` becomes the stable problem type."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Missing or invalid credentials"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class PreconditionFailed(Problem):
    status, slug, title = 412, "precondition-failed", "The resource has changed"


class PreconditionRequired(Problem):
    status, slug, title = 428, "precondition-required", "If-Match is required"


class TooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "The upload is too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Invalid(Problem):
    status, slug, title = 422, "validation-error", "The request is not valid"


class Unavailable(Problem):
    """The deployment cannot serve this right now (its configuration is at fault, not the request)."""

    status, slug, title = 503, "unavailable", "Temporarily unavailable"


# Problem titles as the offices read them (zh-CN, the default) beside the English ones; `type` stays the same.
TITLES_ZH = {
    "bad-request": "请求有误", "unauthorized": "缺少或无效的凭证", "forbidden": "无权执行此操作", "not-found": "未找到",
    "conflict": "与当前状态冲突", "precondition-failed": "资源已被他人修改", "precondition-required": "需要 If-Match 请求头",
    "payload-too-large": "上传内容过大", "unsupported-media-type": "媒体类型不受支持", "validation-error": "请求内容无效", "unavailable": "暂时无法提供服务",
    "method-not-allowed": "不支持该请求方法", "http-error": "请求无法处理", "database-unavailable": "数据库暂时不可用",
    "internal-error": "服务器内部错误",
}


def language(accept_language: str | None) -> str:
    """`en` when the caller prefers English (Accept-Language), else `zh-CN`, this user base's language."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:  # q=0 (or a weight that cannot be read) is "not this one"
            ranked.append((-weight, position, tag.lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh") or tag == "*":
            return "zh-CN"
    return "zh-CN"


def field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def problem_response(*, status: int, slug: str, title: str, detail: str, instance: str,
                     errors: list | None = None, headers: dict | None = None, lang: str = "zh-CN") -> JSONResponse:
    """The problem document; its title in the caller's language (`lang`), `type` and `status` as they are."""
    if lang != "en":
        title = TITLES_ZH.get(slug, title)
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail,
                            "instance": instance}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE,
                        headers={**(headers or {}), "Content-Language": lang})


def _location(loc: tuple, kind: str | None) -> str:
    if kind == "json_invalid":
        return "body"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")] or [str(p) for p in loc[-1:]]
    if not parts:
        return "body"
    return ".".join(parts)


def _field_errors(error: dict) -> list[dict[str, str]]:
    """A validation error as errors[] entries: one per field, also where one check refused several (kit.inputs)."""
    loc, kind = tuple(error.get("loc", ())), error.get("type")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldsRefused):
        return [{"field": _location((*loc, name), kind), "message": f"Value error, {message}", "kind": kind}
                for name, message in cause.refused]
    return [{"field": _location(loc, kind), "message": error.get("msg", "invalid"), "kind": kind}]


def _json(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or (essence.startswith("application/") and essence.endswith("+json"))


def _allowed_methods(request: Request) -> list[str]:
    """Every method the resource at this path serves: Starlette's 405 names only the first route's (RFC 9110
    §15.5.6). Where a fixed path and a templated one both match (/projects/import, /projects/{project_id}), the
    resource is the fixed one's."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    path = path[len(root):] if root and path.startswith(root) else path
    by_template: dict[int, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):  # routers included whole (FastAPI ≥ 0.16x) as well
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            by_template.setdefault(route.path_format.count("{"), set()).update(route.methods)
    return sorted(by_template[min(by_template)]) if by_template else []


def _lang(request: Request) -> str:
    return language(request.headers.get("accept-language"))


def install(app: FastAPI) -> None:
    """Every error leaves as problem+json; unexpected ones are logged and hide their internals."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(status=exc.status, slug=exc.slug, title=exc.title, detail=exc.detail,
                                instance=request.url.path, errors=exc.errors, headers=exc.headers,
                                lang=_lang(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        media_type = request.headers.get("content-type")
        if media_type and not _json(media_type) and any(tuple(e.get("loc", ())) == ("body",) for e in exc.errors()):
            # FastAPI hands a JSON operation's body over unread when it names another media type
            return problem_response(status=415, slug=UnsupportedMediaType.slug, title=UnsupportedMediaType.title,
                                    detail=f"this operation reads application/json, not {media_type}",
                                    instance=request.url.path, headers={"Accept": "application/json"},
                                    lang=_lang(request))
        errors = [error for e in exc.errors() for error in _field_errors(e)]
        lang = _lang(request)
        detail = f"{len(errors)} field(s) are not valid" if lang == "en" else f"有 {len(errors)} 处内容无效"
        return problem_response(status=422, slug=Invalid.slug, title=Invalid.title, detail=detail,
                                instance=request.url.path, errors=errors, lang=lang)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem_response(status=exc.status_code, slug=slug, title=str(exc.detail), detail=str(exc.detail),
                                instance=request.url.path, headers=headers, lang=_lang(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        if database_unavailable(exc):
            log.warning("database unavailable on %s: %r", request.url.path, exc)
            return problem_response(status=503, slug="database-unavailable", title="Database unavailable",
                                    detail="The database cannot be reached now; nothing was changed, try again",
                                    instance=request.url.path, headers={"Retry-After": "1"}, lang=_lang(request))
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(status=500, slug="internal-error", title="Internal error",
                                detail="The server failed to handle the request", instance=request.url.path,
                                lang=_lang(request))


class RefuseNul(HttpMiddleware):
    """A NUL character in the path or the query is 422: PostgreSQL cannot compare text holding it (a 500 there).
    Bodies are checked by their models (kit.inputs.Strict)."""

    async def http(self, scope, receive, send):
        if "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            where = "path" if "\x00" in scope["path"] else "query"
            response = problem_response(status=422, slug=Invalid.slug, title=Invalid.title,
                                        detail=f"the {where} holds a NUL character",
                                        instance=scope["path"].replace("\x00", "%00"),
                                        errors=[field_error(where, "text cannot contain NUL characters")])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

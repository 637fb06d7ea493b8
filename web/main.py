"""The web process: `uvicorn web.main:app` (make run starts it at http://127.0.0.1:8000, KP_WEB_PORT)."""
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from web import gateway
from web.api import SERVICES, ServiceRefused
from web.pages import console, map as map_page, signin, unit
from web.render import render
from web.session import SignIn
from web.settings import WebSettings

HERE = Path(__file__).parent


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    app = FastAPI(title="重点项目督办平台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.add_middleware(SessionMiddleware, secret_key=settings.web_session_secret.get_secret_value(),
                       session_cookie="kp_session", max_age=settings.web_session_hours * 3600, same_site="lax",
                       https_only=not settings.dev)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (signin.router, unit.router, console.router, map_page.router):
        app.include_router(router)
    gateway.install(app, {name: getattr(settings, f"{name}_url") for name in SERVICES})

    @app.exception_handler(SignIn)
    async def to_sign_in(request: Request, _exc: SignIn):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(ServiceRefused)
    async def refused(request: Request, exc: ServiceRefused):
        return render(request, "error.html", {"title": exc.title, "detail": exc.detail, "errors": exc.errors},
                      status_code=exc.status if exc.status in (400, 403, 404, 409, 412, 413, 415, 422) else 502)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return render(request, "error.html", {"title": "无法完成", "detail": exc.detail, "errors": []},
                      status_code=exc.status_code)

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def home(request: Request):
        found = request.session.get("user")
        if not found:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse("/console" if found["unit_id"] is None else "/m", status_code=303)

    return app


app = create_app()

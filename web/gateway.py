"""One entry point for integrators: /registry/…, /milestones/…, /alerts/…, /reports/… reach that service's REST API,
docs and OpenAPI document through the web process's own address. The service name leads the path because two
services answer the same API path (GET /api/v1/projects: the registry's register and reports' figures). Each request
carries X-Forwarded-Prefix, so the service's links, Location headers and OpenAPI `servers` name the entry point.
In compose, nginx does the same job (deploy/nginx/default.conf)."""
import httpx
from fastapi import FastAPI, Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from kit.errors import language, problem_response
from web.api import SERVICES

# Headers about one connection, not the request (RFC 9110 §7.6.1): never forwarded either way.
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
               b"transfer-encoding", b"upgrade", b"x-forwarded-prefix"}
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def install(app: FastAPI, targets: dict[str, str]) -> None:
    """Route /<service>/<path> to `targets[service]`/<path>, streaming both ways."""
    upstream = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0), follow_redirects=False)
    app.router.on_shutdown.append(upstream.aclose)

    async def forward(request: Request) -> Response:
        service = request.scope["path"].split("/", 2)[1]
        url = httpx.URL(targets[service] + "/" + request.path_params["path"],
                        query=request.scope["query_string"])
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in _HOP_BY_HOP]
        headers += [(b"x-forwarded-prefix", f"/{service}".encode()),
                    (b"x-forwarded-proto", request.url.scheme.encode())]
        sent = upstream.build_request(request.method, url, headers=headers, content=request.stream())
        try:
            answer = await upstream.send(sent, stream=True)
        except httpx.TransportError as exc:
            return problem_response(status=502, slug="unavailable", title="Bad gateway",
                                    detail=f"{service} cannot be reached now ({type(exc).__name__})",
                                    instance=request.url.path, lang=language(request.headers.get("accept-language")))
        response = StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                                     background=BackgroundTask(answer.aclose))
        response.raw_headers = [(k, v) for k, v in answer.headers.raw if k.lower() not in _HOP_BY_HOP]
        return response

    for service in SERVICES:
        app.add_route(f"/{service}/{{path:path}}", forward, methods=_METHODS, include_in_schema=False)

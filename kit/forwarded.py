"""A service mounted under a path by the entry point (web.gateway, nginx in compose): X-Forwarded-Prefix becomes the
ASGI root_path, so the links it writes (Location, the docs pages, OpenAPI `servers`) name the entry point's path."""
import re

from starlette.types import Receive, Scope, Send

from kit.asgi import HttpMiddleware

_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")  # path segments only: it is written into HTML and headers


class ForwardedPrefix(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefix = next((v for k, v in scope["headers"] if k == b"x-forwarded-prefix"), b"").decode("latin-1").rstrip("/")
        if prefix and _PREFIX.fullmatch(prefix):
            # ASGI: `path` holds the root path too (routing takes it off again).
            scope = {**scope, "root_path": scope.get("root_path", "") + prefix, "path": prefix + scope["path"],
                     "raw_path": prefix.encode() + scope.get("raw_path", scope["path"].encode())}
        await self.app(scope, receive, send)

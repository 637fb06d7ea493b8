"""Conditional requests (RFC 9110 §13): strong ETags made from a resource's version, If-Match compared strongly,
If-None-Match compared weakly and answered 304."""
import hashlib
import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from kit.asgi import HttpMiddleware
from kit.errors import PreconditionFailed, PreconditionRequired

_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')
# Headers a 304 keeps from the 200 it stands for (RFC 9110 §15.4.5).
_KEPT_ON_304 = {b"etag", b"cache-control", b"content-location", b"date", b"expires", b"vary", b"content-language"}


def etag(version: int | str) -> str:
    return f'"{version}"'


def digest_etag(body: bytes) -> str:
    """The ETag of an answer whose route sets none: a digest of its body."""
    return etag(hashlib.sha256(body).hexdigest()[:32])


def _entity_tags(field: str) -> list[tuple[bool, str]] | None:
    """(weak, opaque) pairs of a list of entity tags; None when the field is not one (RFC 9110 §8.8.3)."""
    tags, at = [], 0
    while at < len(field):
        match = _ENTITY_TAG.match(field, at)
        if match is None or match.end() == at:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        at = match.end()
    return tags


def admitted_versions(if_match: str | None, *, required: bool, what: str) -> frozenset[int] | None:
    """The versions an If-Match admits; None for any (`*`, or no header where it is optional). Compared strongly:
    a weak tag, or a field that is not a list of entity tags, admits nothing, so the change fails 412."""
    if if_match is None:
        if required:
            raise PreconditionRequired(f"send If-Match with the {what}'s ETag (or * for any version)")
        return None
    if if_match.strip() == "*":
        return None
    tags = _entity_tags(if_match) or []
    return frozenset(int(opaque) for weak, opaque in tags if not weak and opaque.isascii() and opaque.isdigit()
                     and len(opaque) <= 18)


def check_version(admitted: frozenset[int] | None, current: int, *, what: str) -> None:
    if admitted is not None and current not in admitted:
        shown = ", ".join(etag(v) for v in sorted(admitted)) or "no strong ETag of this API"
        raise PreconditionFailed(f"the {what} is at {etag(current)}; If-Match named {shown}")


def _none_match(field: str, current: str) -> bool:
    if field.strip() == "*":
        return True
    tags = _entity_tags(field) or []
    opaque = current.removeprefix("W/").strip('"')
    return any(tag == opaque for _, tag in tags)  # weak comparison (RFC 9110 §8.8.3.2)


class ConditionalResponses(HttpMiddleware):
    """Every 200 to a GET or HEAD, and every 201, carries a strong ETag: the resource's version where the route set
    one, else a digest of the body (answers sent in one piece; streamed ones pass untouched). A GET or HEAD whose
    If-None-Match names that ETag gets 304 without the body."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        reading = scope["method"] in ("GET", "HEAD")  # a HEAD's app sends the body; the server drops it
        if_none_match = Headers(scope=scope).get("if-none-match") if reading else None
        held: Message | None = None
        passing = False

        async def answer(message: Message) -> None:
            nonlocal held, passing
            if message["type"] == "http.response.start":
                if message["status"] == 201 or (reading and message["status"] == 200):
                    held = message  # until the body shows whether it comes in one piece
                    return
                passing = True
            elif message["type"] == "http.response.body" and held is not None and not passing:
                start, held = held, None
                if message.get("more_body", False):
                    passing = True
                    await send(start)
                else:
                    start, message = _tagged(start, message, if_none_match)
                    await send(start)
            await send(message)

        await self.app(scope, receive, answer)


def _tagged(start: Message, body: Message, if_none_match: str | None) -> tuple[Message, Message]:
    headers = MutableHeaders(raw=list(start["headers"]))
    current = headers.get("etag")
    if current is None:
        current = headers["ETag"] = digest_etag(body.get("body", b""))
    if if_none_match is not None and _none_match(if_none_match, current):
        kept = [(k, v) for k, v in headers.raw if k.lower() in _KEPT_ON_304]
        return {**start, "status": 304, "headers": kept}, {"type": "http.response.body", "body": b""}
    return {**start, "headers": headers.raw}, body

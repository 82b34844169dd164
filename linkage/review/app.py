"""The review app's HTTP side: a Starlette application over a `ReviewSession`.

Every request must carry the session's random token — in the URL (`?token=`, the address
`linkage review` prints; the page then keeps it in a same-site, HTTP-only cookie), the cookie,
or the `X-Review-Token` header, which every write must send — and name the host it was
served on (127.0.0.1 or localhost with its port: a page elsewhere that points a name at
127.0.0.1 is refused); anything else gets 403.  Pages are a small hand-written script and
style sheet packaged in `static/`, nothing fetched from anywhere else, and the Content Security
Policy tells the browser so.  The JSON API:

    GET  /api/state                         queues and their progress, reviewer, files
    GET  /api/queue/{queue}?offset&limit&pending=1      one page of a queue
    GET  /api/item/{queue}/{index}?reveal=1             a pair view or cluster view
    GET  /api/pair/{a}/{b}, /api/cluster/{entity_id}    the same, outside the queues
    POST /api/label    {queue, index, decision}         same | different | unsure
    POST /api/split    {entity_id, records, queue?, index?}
    POST /api/confirm  {entity_id, queue?, index?}
    POST /api/undo

Handlers run one at a time on the event loop (one reviewer; DuckDB and the labels file are
used by one request at a time).
"""

from __future__ import annotations

import json
import math
import secrets
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from linkage.attributes import ATTRIBUTES
from linkage.errors import LinkageError
from linkage.review.i18n import UI
from linkage.review.session import ReviewError, ReviewSession
from linkage.review.views import cluster_view, pair_view

COOKIE = "linkage_review"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
STATIC = resources.files("linkage.review") / "static"


class Guard:
    """ASGI middleware: the token and the host, then security headers on every answer."""

    def __init__(self, app, token: str, port: int):
        self.app, self.token = app, token
        self.hosts = {f"{name}:{port}".encode() for name in ("127.0.0.1", "localhost")}

    def _given(self, scope) -> tuple[str | None, bool]:
        """The token the request carries, and whether it came in the URL."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return query["token"][0], True
        headers = dict(scope.get("headers") or [])
        if b"x-review-token" in headers:
            return headers[b"x-review-token"].decode("latin-1"), False
        try:
            cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
        except CookieError:
            return None, False
        return (cookie[COOKIE].value if COOKIE in cookie else None), False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        token, in_url = self._given(scope)
        ok = headers.get(b"host") in self.hosts and token is not None and \
            secrets.compare_digest(token.encode(), self.token.encode())
        if ok and scope["method"] == "POST":  # a write names the token itself, not by cookie
            ok = secrets.compare_digest(headers.get(b"x-review-token", b""), self.token.encode())
        if not ok:
            response = PlainTextResponse("403 Forbidden: open the address `linkage review` printed",
                                         status_code=403)
            return await response(scope, receive, self._secured(send, False))
        return await self.app(scope, receive, self._secured(send, in_url))

    def _secured(self, send, set_cookie: bool):
        async def wrapped(message):
            if message["type"] == "http.response.start":
                extra = [(b"content-security-policy", CSP.encode()),
                         (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"cache-control", b"no-store")]
                if set_cookie:
                    extra.append((b"set-cookie", f"{COOKIE}={self.token}; HttpOnly; "
                                                 "SameSite=Strict; Path=/".encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)
        return wrapped


def create_app(session: ReviewSession, token: str, port: int) -> Guard:
    """The guarded application, served on 127.0.0.1:`port`."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    strings = json.dumps(page_strings(), ensure_ascii=False).replace("</", "<\\/")

    async def index(request: Request) -> Response:
        return HTMLResponse(page.replace("{{token}}", token).replace("{{i18n}}", strings))

    def answer(work):
        async def handler(request: Request) -> Response:
            try:
                body = json.loads(await request.body() or b"{}")
                return JSONResponse(_plain(work(request, body)))
            except (ReviewError, KeyError, ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except LinkageError as exc:
                return JSONResponse({"error": str(exc)}, status_code=500)
        return handler

    def flag(request, name):
        return request.query_params.get(name) in ("1", "true")

    s = session
    routes = [
        Route("/", index),
        Route("/api/state", answer(lambda r, b: s.state())),
        Route("/api/queue/{queue}", answer(lambda r, b: s.page(
            r.path_params["queue"], int(r.query_params.get("offset", 0)),
            int(r.query_params.get("limit", 100)), flag(r, "pending")))),
        Route("/api/item/{queue}/{index:int}", answer(lambda r, b: s.item(
            r.path_params["queue"], r.path_params["index"], flag(r, "reveal")))),
        Route("/api/pair/{a:int}/{b:int}", answer(lambda r, b: {"view": pair_view(
            s.run, r.path_params["a"], r.path_params["b"], flag(r, "reveal"))})),
        Route("/api/cluster/{entity_id}", answer(lambda r, b: {"view": cluster_view(
            s.run, r.path_params["entity_id"], flag(r, "reveal"))})),
        Route("/api/label", answer(lambda r, b: s.label(b["queue"], int(b["index"]), b["decision"])),
              methods=["POST"]),
        Route("/api/split", answer(lambda r, b: s.split(
            b["entity_id"], b["records"], b.get("queue") or "cluster", b.get("index"))),
              methods=["POST"]),
        Route("/api/confirm", answer(lambda r, b: s.confirm(
            b["entity_id"], b.get("queue") or "cluster", b.get("index"))), methods=["POST"]),
        Route("/api/undo", answer(lambda r, b: s.undo()), methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Guard(Starlette(routes=routes), token, port)


def page_strings() -> dict[str, dict[str, str]]:
    """The app's strings with every attribute's name (`attr_<name>`), per language."""
    names = {a.name: a for entity in ATTRIBUTES.values() for a in entity.values()}
    return {lang: {**strings, **{f"attr_{n}": a.label_zh if lang == "zh" else a.label_en
                                 for n, a in names.items()}} for lang, strings in UI.items()}


def _plain(value):
    """`value` with numpy scalars and non-finite floats made JSON-safe."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

"""The reviewers' web app: ``create_app()`` builds it around one warm ``WebContext``.

    quote-review web --host 127.0.0.1 --port 8000 [--db URL]

Every route but the sign-in needs a session (a cookie naming a row of ``web_sessions``); every
request that changes something carries the session's CSRF token (a form field or the
``X-CSRF-Token`` header); what a role may do is checked here, on the server, per action.
"""
from __future__ import annotations

import datetime as dt
import secrets
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware

from core.errors import BadInputError, InvalidDossierError, QuoteReviewError, StateError, TooLargeError
from ingestion.ingest import MAX_BYTES
from store.accounts import AccountError, AccountPolicy, LoginError, WebSession
from web.actions import ForbiddenError
from web.services import WebContext

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "qr_session"
LOGIN_CSRF_COOKIE = "qr_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The multipart envelope around a file at the CLI's size limit.
MAX_REQUEST_BYTES = MAX_BYTES + 1024 * 1024

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's OpenAPI page (vendored Swagger UI) boots with one inline script.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")


class NotSignedIn(Exception):
    """No live session: the API answers 401, the pages send to the sign-in form."""


class CsrfError(QuoteReviewError):
    code = "E_CSRF"


def http_status(error: QuoteReviewError) -> int:
    if isinstance(error, ForbiddenError):
        return 403
    if isinstance(error, CsrfError):
        return 403
    if isinstance(error, LoginError):
        return 401
    if isinstance(error, TooLargeError):
        return 413
    if isinstance(error, StateError):
        return 409
    if isinstance(error, InvalidDossierError) and error.message.startswith("no dossier"):
        return 404
    if isinstance(error, (BadInputError, InvalidDossierError, AccountError)):
        return 422
    return 400


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        length = request.headers.get("content-length")
        if request.method == "POST" and length and length.isdigit() and int(length) > MAX_REQUEST_BYTES:
            error = TooLargeError(f"the upload is over {MAX_BYTES // (1024 * 1024)} MB; "
                                  f"at most {MAX_BYTES // (1024 * 1024)} MB")
            response = JSONResponse({"code": error.code, "message": error.message}, status_code=413)
        else:
            response = await call_next(request)
        docs = request.url.path in ("/docs", "/docs/oauth2-redirect")
        response.headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def context_of(request: Request) -> WebContext:
    return request.app.state.context


async def current_session(request: Request) -> WebSession | None:
    cached = getattr(request.state, "web_session", False)
    if cached is not False:
        return cached
    session = await run_in_threadpool(context_of(request).accounts.session, request.cookies.get(SESSION_COOKIE))
    request.state.web_session = session
    return session


async def signed_in(request: Request) -> WebSession:
    """The request's live session; on a change (POST...), its CSRF token must come with it."""
    session = await current_session(request)
    if session is None:
        raise NotSignedIn()
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
        if not sent or not secrets.compare_digest(str(sent), session.csrf_token):
            raise CsrfError("the form's security token is missing or stale: reload the page and try again")
    return session


def set_session_cookie(request: Request, response, token: str, policy: AccountPolicy) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(policy.session_max.total_seconds()), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")


def create_app(db_url: str | None = None, grid_dir: Path | None = None, home: Path | None = None, *,
               context: WebContext | None = None, policy: AccountPolicy | None = None, warm: bool = True) -> FastAPI:
    context = context or WebContext.open(db_url, grid_dir, home, policy)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:
            await run_in_threadpool(context.warm)
        yield
        await run_in_threadpool(context.close)

    app = FastAPI(title="quote-review", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
                  description="Dossiers, uploads, reviews and reviewers' actions. Sign in with POST /api/session "
                              "(a session cookie); send its csrf_token as the X-CSRF-Token header on every POST.")
    app.state.context = context
    app.state.templates = templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["euros"] = _euros
    templates.env.filters["when"] = lambda value: value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M") if value else ""
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn):
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"code": "E_SIGN_IN", "message": "sign in first (POST /api/session)"}, status_code=401)
        target = "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            from urllib.parse import quote
            target += "?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        if request.headers.get("hx-request"):
            return JSONResponse({"code": "E_SIGN_IN"}, status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(QuoteReviewError)
    async def _quote_review_error(request: Request, error: QuoteReviewError):
        status = http_status(error)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"code": error.code, "message": error.message}, status_code=status)
        session = await current_session(request)
        return templates.TemplateResponse(request, "error.html", {"session": session, "error": error},
                                          status_code=status)

    from web import api, docs, html

    app.include_router(docs.router)
    app.include_router(api.router)
    app.include_router(html.router)
    return app


def _euros(value) -> str:
    from core.models import euros

    return euros(value)

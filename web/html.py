"""The HTML pages (Jinja2 templates, HTMX for the upload's progress)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.review import MOTIVES
from core.errors import InvalidDossierError, QuoteReviewError
from core.models import GUARANTEES, Dossier
from store.accounts import ROLES, LoginError, WebSession
from store.workbench import ListFilter
from web.actions import ACTIONS, money, perform, queue_rules_from, require
from web.app import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    context_of,
    current_session,
    http_status,
    set_session_cookie,
    signed_in,
)
from web.views import REQUEST_QUOTE_WHY, document_kind, dossier_view

router = APIRouter(include_in_schema=False)
Session = Annotated[WebSession, Depends(signed_in)]
STATES = ("to_review", "ren_proposed", "not_revisable", "closed", "accepted_under_200", "auto_validated",
          "out_of_scope", "duplicate", "not_a_quote", "none")
UPLOAD_CHUNK = 1024 * 1024
QUEUE_ROWS = 200  # the oldest first; "take the oldest free dossier" reaches the rest


def render(request: Request, name: str, session: WebSession | None, status_code: int = 200, **values) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {"session": session, **values}, status_code=status_code)


# --- sign-in ----------------------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request, next: str = "/dossiers"):
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, csrf=token, next=_local(next))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.post("/login")
async def login(request: Request, name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/dossiers"):
    context = context_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        error = QuoteReviewError("the sign-in form expired: try again")
        error.code = "E_CSRF"
        return _login_again(request, error, next, 403)
    try:
        user = await run_in_threadpool(context.accounts.authenticate, name, password)
    except LoginError as error:
        return _login_again(request, error, next, 401)
    token, _csrf = await run_in_threadpool(context.accounts.open_session, user.name)
    response = RedirectResponse(_local(next), status_code=303)
    set_session_cookie(request, response, token, context.accounts.policy)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _login_again(request: Request, error: QuoteReviewError, next: str, status: int):
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code=status, csrf=token, next=_local(next), error=error)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


def _local(target: str | None) -> str:
    """Only a path of this site: never another host after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dossiers"
    return target


@router.post("/logout")
async def logout(request: Request, session: Session):
    await run_in_threadpool(context_of(request).accounts.close_session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
async def home(session: Session):
    return RedirectResponse("/queue" if session.user.may("override") else "/dossiers", status_code=303)


# --- the dossiers list ------------------------------------------------------------------------


def _filter(state: str | None, guarantee: str | None, q: str | None, sort: str, order: str, page: int,
            per_page: int = 50) -> ListFilter:
    return ListFilter(status=state or None, guarantee=guarantee or None, search=q or None, sort=sort,
                      descending=order != "asc", page=page, per_page=per_page)


@router.get("/dossiers")
def dossiers(request: Request, session: Session, state: str = "", guarantee: str = "", q: str = "",
             sort: str = "created", order: str = "desc", page: int = 1):
    require(session.user, "read")
    context = context_of(request)
    wanted = _filter(state, guarantee, q, sort, order, page)
    listing = context.workbench.list_dossiers(wanted)
    kinds = {row.ref: document_kind(context, row.document_sha256) for row in listing.rows}
    query = {"state": state, "guarantee": guarantee, "q": q, "sort": sort, "order": order}
    return render(request, "dossiers.html", session, listing=listing, kinds=kinds, query=query, states=STATES,
                  guarantees=GUARANTEES)


@router.get("/dossiers.csv")
def dossiers_csv(request: Request, session: Session, state: str = "", guarantee: str = "", q: str = "",
                 sort: str = "created", order: str = "desc"):
    require(session.user, "read")
    context = context_of(request)
    rows = context.workbench.all_dossiers(_filter(state, guarantee, q, sort, order, 1))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["dossier_ref", "document", "type", "guarantee", "siren", "processing", "state", "quoted_ttc",
                     "revised_ttc", "created_at"])
    for row in rows:
        writer.writerow([row.ref, row.document_name or "", document_kind(context, row.document_sha256) or "",
                         row.guarantee, row.siren or "", row.processing or "", row.status or "",
                         "" if row.quoted_ttc is None else f"{row.quoted_ttc:.2f}",
                         "" if row.revised_ttc is None else f"{row.revised_ttc:.2f}",
                         row.created_at.isoformat(timespec="seconds")])
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M")
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="dossiers-{stamp}.csv"'})


# --- a new dossier and its document -----------------------------------------------------------


@router.get("/dossiers/new")
def new_dossier(request: Request, session: Session):
    require(session.user, "upload")
    return render(request, "dossier_new.html", session, guarantees=GUARANTEES, values={}, error=None,
                  today=dt.date.today().isoformat())


@router.post("/dossiers")
async def create_dossier(
    request: Request, session: Session,
    ref: Annotated[str, Form()] = "", claim_date: Annotated[str, Form()] = "", deductible: Annotated[str, Form()] = "",
    guarantee: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
    postcode: Annotated[str, Form()] = "", document: Annotated[UploadFile | None, File()] = None,
):
    context = context_of(request)
    values = {"ref": ref, "claim_date": claim_date, "deductible": deductible, "guarantee": guarantee, "phone": phone,
              "email": email, "postcode": postcode}
    try:
        require(session.user, "upload")
        if document is None or not document.filename:
            raise InvalidDossierError("choose the quote or invoice to review (one PDF, JPG or PNG)")
        await _create_and_submit(context, dossier_from_form(values), document, session.user.name)
    except QuoteReviewError as error:
        return render(request, "dossier_new.html", session, status_code=http_status(error), guarantees=GUARANTEES,
                      values=values, error=error, today=dt.date.today().isoformat())
    return RedirectResponse(f"/dossiers/{ref.strip()}", status_code=303)


def dossier_from_form(values: dict) -> Dossier:
    try:
        claim = dt.date.fromisoformat(values.get("claim_date") or "")
    except ValueError:
        raise InvalidDossierError("the claim date is mandatory (YYYY-MM-DD)") from None
    deductible = str(values.get("deductible") or "").strip()
    if not deductible:
        raise InvalidDossierError("the deductible is mandatory (euros, e.g. 150 or 150.00)")
    return Dossier(str(values.get("ref") or "").strip(), claim, money(deductible, "the deductible"),
                   str(values.get("guarantee") or ""), str(values.get("phone") or ""),
                   str(values.get("email") or ""), str(values.get("postcode") or "").strip() or None)


async def _spool(context, document: UploadFile) -> Path:
    """The upload copied in chunks into the app's spool (the size limit applies as it is read)."""
    source = document.file
    source.seek(0)
    return await run_in_threadpool(context.spool, document.filename, iter(lambda: source.read(UPLOAD_CHUNK), b""))


async def _submit(context, ref: str, document: UploadFile, by: str) -> int:
    spooled = await _spool(context, document)
    return await run_in_threadpool(lambda: context.start_review(ref, spooled, by=by))


async def _create_and_submit(context, dossier: Dossier, document: UploadFile, by: str) -> int:
    """Spool first, so a file refused for its size creates no dossier; then the dossier, then the review."""
    spooled = await _spool(context, document)
    try:
        await run_in_threadpool(context.store.create_dossier, dossier, by)
    except BaseException:
        context.discard(spooled)
        raise
    return await run_in_threadpool(lambda: context.start_review(dossier.ref, spooled, by=by))


@router.post("/dossiers/{ref:path}/document")
async def upload_document(request: Request, session: Session, ref: str,
                          document: Annotated[UploadFile | None, File()] = None):
    context = context_of(request)
    require(session.user, "upload")
    await run_in_threadpool(context.store.get_dossier, ref)
    if document is None or not document.filename:
        raise InvalidDossierError("choose the quote or invoice to review (one PDF, JPG or PNG)")
    await _submit(context, ref, document, session.user.name)
    return RedirectResponse(f"/dossiers/{ref}", status_code=303)


# --- the dossier page -------------------------------------------------------------------------


@router.get("/dossiers/{ref:path}/status")
def dossier_status(request: Request, session: Session, ref: str):
    """The upload's progress, polled by HTMX; once it is over, the whole page reloads with the verdict."""
    context = context_of(request)
    upload = context.workbench.latest_upload(ref)
    response = render(request, "_progress.html", session, ref=ref, upload=upload)
    if upload is None or upload.state in ("done", "error"):
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/dossiers/{ref:path}/pages/{number}.png")
def page_image(request: Request, session: Session, ref: str, number: int):
    require(session.user, "read")
    context = context_of(request)
    document = context.store.document(ref).document
    path = context.page_image(document, number)
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/dossiers/{ref:path}/actions/{name}")
async def dossier_action(request: Request, session: Session, ref: str, name: str):
    context = context_of(request)
    data = {key: value for key, value in (await request.form()).items() if key != "csrf_token"}
    try:
        await run_in_threadpool(perform, context, session.user, ref, name, data)
    except QuoteReviewError as error:
        view = await run_in_threadpool(dossier_view, context, ref)
        return _dossier_page(request, session, view, error=error, failed_action=name,
                             status_code=http_status(error))
    return RedirectResponse(f"/dossiers/{ref}#history", status_code=303)


@router.get("/dossiers/{ref:path}")
def dossier_page(request: Request, session: Session, ref: str):
    require(session.user, "read")
    view = dossier_view(context_of(request), ref)
    return _dossier_page(request, session, view)


def _dossier_page(request, session, view, error=None, failed_action=None, status_code=200):
    context = context_of(request)
    reviewers = [u for u in context.accounts.users() if u.active and u.role in ("reviewer", "manager")] \
        if session.user.may("assign") else []
    return render(request, "dossier.html", session, status_code=status_code, view=view, error=error,
                  failed_action=failed_action, motives=MOTIVES, actions=ACTIONS, reviewers=reviewers,
                  request_quote_why=REQUEST_QUOTE_WHY)


# --- the review queue -------------------------------------------------------------------------


@router.get("/queue")
def queue(request: Request, session: Session, mine: int = 0):
    require(session.user, "read")
    context = context_of(request)
    items = context.workbench.queue(session.user.name if mine else None)
    reviewers = [u for u in context.accounts.users() if u.active and u.role in ("reviewer", "manager")] \
        if session.user.may("assign") else []
    return render(request, "queue.html", session, items=items[:QUEUE_ROWS], total=len(items), mine=bool(mine),
                  reviewers=reviewers,
                  rules=context.workbench.queue_rules())


@router.post("/queue/take")
def take_next(request: Request, session: Session):
    require(session.user, "override")
    ref = context_of(request).workbench.take_next(session.user.name)
    return RedirectResponse(f"/dossiers/{ref}" if ref else "/queue?mine=1", status_code=303)


@router.get("/queue/rules")
def queue_rules_page(request: Request, session: Session):
    require(session.user, "read")
    return render(request, "queue_rules.html", session, rules=context_of(request).workbench.queue_rules(),
                  guarantees=GUARANTEES, error=None)


@router.post("/queue/rules")
async def set_queue_rules(request: Request, session: Session):
    context = context_of(request)
    form = await request.form()
    data = {"one_in": form.get("one_in"), "amount_min": form.get("amount_min"), "amount_max": form.get("amount_max"),
            "guarantees": form.getlist("guarantees"), "sirens": form.get("sirens")}
    try:
        require(session.user, "queue_rules")
        await run_in_threadpool(lambda: context.workbench.set_queue_rules(queue_rules_from(data), by=session.user.name))
    except QuoteReviewError as error:
        return render(request, "queue_rules.html", session, status_code=http_status(error),
                      rules=context.workbench.queue_rules(), guarantees=GUARANTEES, error=error)
    return RedirectResponse("/queue", status_code=303)


# --- users (admin) ----------------------------------------------------------------------------


@router.get("/users")
def users(request: Request, session: Session):
    require(session.user, "users")
    return render(request, "users.html", session, users=context_of(request).accounts.users(), roles=ROLES, error=None)


@router.post("/users")
async def add_user(request: Request, session: Session, name: Annotated[str, Form()] = "",
                   role: Annotated[str, Form()] = "", password: Annotated[str, Form()] = ""):
    context = context_of(request)
    try:
        require(session.user, "users")
        await run_in_threadpool(lambda: context.accounts.add_user(name, role, password, by=session.user.name))
    except QuoteReviewError as error:
        return render(request, "users.html", session, status_code=http_status(error), users=context.accounts.users(),
                      roles=ROLES, error=error)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable")
def disable_user(request: Request, session: Session, name: str):
    require(session.user, "users")
    context_of(request).accounts.disable_user(name, by=session.user.name)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/unlock")
def unlock_user(request: Request, session: Session, name: str):
    require(session.user, "users")
    context_of(request).accounts.unlock_user(name, by=session.user.name)
    return RedirectResponse("/users", status_code=303)


__all__ = ["router", "current_session", "dossier_from_form"]

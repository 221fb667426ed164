"""The JSON API beside the pages, for other systems (documented at /docs, /openapi.json).

Sign in with ``POST /api/session``; the answer sets the session cookie and gives the CSRF
token to send as ``X-CSRF-Token`` with every POST. Errors are ``{"code", "message"}`` with the
project's stable codes.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from core.errors import InvalidDossierError
from store.accounts import WebSession
from store.workbench import ListFilter, ListedDossier
from web.actions import ACTIONS, perform, require
from web.app import SESSION_COOKIE, context_of, set_session_cookie, signed_in
from web.html import _create_and_submit, _submit, dossier_from_form
from web.views import document_kind, dossier_view, review_json

router = APIRouter(prefix="/api", tags=["api"])
Session = Annotated[WebSession, Depends(signed_in)]


class Credentials(BaseModel):
    name: str
    password: str


class SessionOut(BaseModel):
    user: str
    role: str
    csrf_token: str = Field(description="Send it as the X-CSRF-Token header with every POST")


class Problem(BaseModel):
    code: str
    message: str


class DossierRow(BaseModel):
    ref: str
    document: str | None
    type: str | None = Field(description="devis or facture, as the document's first page says")
    guarantee: str
    siren: str | None
    processing: str | None
    state: str | None
    quoted_ttc: float | None
    revised_ttc: float | None


class DossierList(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[DossierRow]


class Accepted(BaseModel):
    ref: str
    upload_id: int
    status_url: str


class ActionIn(BaseModel):
    """The fields an action uses: override (line, amount, reason), propose_ren / reopen (reason),
    close (motive, reason), request_quote (why: not_revisable | unreachable, reason), second_look (reason),
    assign (assignee), approve (none)."""

    line: int | None = None
    amount: str | None = None
    reason: str | None = None
    motive: str | None = None
    why: str | None = None
    assignee: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "E_FORBIDDEN (role) or E_CSRF"},
    404: {"model": Problem},
    409: {"model": Problem, "description": "E_STATE"},
    422: {"model": Problem, "description": "E_INVALID_DOSSIER and bad input codes"},
}


@router.post("/session", response_model=SessionOut, responses={401: {"model": Problem}})
def sign_in(request: Request, credentials: Credentials):
    context = context_of(request)
    user = context.accounts.authenticate(credentials.name, credentials.password)
    token, csrf = context.accounts.open_session(user.name)
    response = JSONResponse(SessionOut(user=user.name, role=user.role, csrf_token=csrf).model_dump())
    set_session_cookie(request, response, token, context.accounts.policy)
    return response


@router.post("/session/end", status_code=204, responses=ERRORS)
def sign_out(request: Request, session: Session):
    context_of(request).accounts.close_session(request.cookies.get(SESSION_COOKIE))
    response = JSONResponse(None, status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _row(context, row: ListedDossier) -> DossierRow:
    return DossierRow(ref=row.ref, document=row.document_name, type=document_kind(context, row.document_sha256),
                      guarantee=row.guarantee, siren=row.siren, processing=row.processing, state=row.status,
                      quoted_ttc=None if row.quoted_ttc is None else float(row.quoted_ttc),
                      revised_ttc=None if row.revised_ttc is None else float(row.revised_ttc))


@router.get("/dossiers", response_model=DossierList, responses=ERRORS)
def list_dossiers(request: Request, session: Session, state: str | None = None, guarantee: str | None = None,
                  q: str | None = None, sort: Literal["ref", "created", "state", "ttc", "revised", "guarantee"] = "created",
                  order: Literal["asc", "desc"] = "desc", page: int = 1, per_page: int = 50):
    require(session.user, "read")
    context = context_of(request)
    listing = context.workbench.list_dossiers(ListFilter(state, guarantee, q, sort, order == "desc", page, per_page))
    return DossierList(total=listing.total, page=listing.page, per_page=listing.per_page,
                       items=[_row(context, row) for row in listing.rows])


@router.post("/dossiers", status_code=202, response_model=Accepted, responses=ERRORS)
async def create_dossier(
    request: Request, session: Session,
    ref: Annotated[str, Form()], claim_date: Annotated[str, Form(description="YYYY-MM-DD")],
    deductible: Annotated[str, Form()], guarantee: Annotated[str, Form()],
    phone: Annotated[str, Form(description="000000000 when unknown")],
    email: Annotated[str, Form(description="'inconnu' when unknown")],
    document: Annotated[UploadFile, File(description="one PDF, JPG or PNG")],
    postcode: Annotated[str, Form()] = "",
):
    """Create a dossier and review its document; poll ``status_url`` for the verdict."""
    context = context_of(request)
    require(session.user, "upload")
    dossier = dossier_from_form({"ref": ref, "claim_date": claim_date, "deductible": deductible,
                                 "guarantee": guarantee, "phone": phone, "email": email, "postcode": postcode})
    upload_id = await _create_and_submit(context, dossier, document, session.user.name)
    return Accepted(ref=dossier.ref, upload_id=upload_id, status_url=f"/api/dossiers/{dossier.ref}")


@router.post("/dossiers/{ref:path}/document", status_code=202, response_model=Accepted, responses=ERRORS)
async def add_document(request: Request, session: Session, ref: str,
                       document: Annotated[UploadFile, File(description="one PDF, JPG or PNG")]):
    """A new document for an existing dossier (a new quote asked of the policyholder)."""
    context = context_of(request)
    require(session.user, "upload")
    await run_in_threadpool(context.store.get_dossier, ref)
    upload_id = await _submit(context, ref, document, session.user.name)
    return Accepted(ref=ref, upload_id=upload_id, status_url=f"/api/dossiers/{ref}")


@router.post("/dossiers/{ref:path}/actions/{name}", responses=ERRORS)
def act(request: Request, session: Session, ref: str, name: str, body: ActionIn) -> dict:
    """Run a reviewer's action (the same store functions as ``quote-review dossier ...``); returns the dossier."""
    if name not in ACTIONS:
        raise InvalidDossierError(f"unknown action {name!r}; one of: {', '.join(ACTIONS)}")
    context = context_of(request)
    perform(context, session.user, ref, name, body.model_dump(exclude_none=True))
    return review_json(dossier_view(context, ref, with_history=False))


@router.get("/dossiers/{ref:path}/history", responses=ERRORS)
def history(request: Request, session: Session, ref: str) -> list[dict]:
    require(session.user, "read")
    context = context_of(request)
    context.store.get_dossier(ref)
    return [{"at": e.at.isoformat(), "who": e.actor, "action": e.action, "reason": e.reason, "before": e.before,
             "after": e.after} for e in context.store.history(ref)]


@router.get("/dossiers/{ref:path}", responses=ERRORS)
def get_dossier(request: Request, session: Session, ref: str) -> dict:
    """The dossier, its processing state, its latest review (schemas/review.schema.json) and the lines' boxes."""
    require(session.user, "read")
    return review_json(dossier_view(context_of(request), ref, with_history=False))


@router.get("/queue", responses=ERRORS)
def queue(request: Request, session: Session, mine: bool = False) -> list[dict]:
    """Dossiers waiting for a human, oldest first (every to_review, then the sampled robot closes)."""
    require(session.user, "read")
    context = context_of(request)
    return [{"ref": item.dossier.ref, "reason": item.reason, "assignee": item.assignee,
             "state": item.dossier.status, "waiting_since": item.dossier.waiting_since.isoformat()
             if item.dossier.waiting_since else None}
            for item in context.workbench.queue(session.user.name if mine else None)]

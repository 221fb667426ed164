"""What the pages and the API show of a dossier, gathered from the store in one place."""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field

from extractors import extraction_version, pages_version
from core.review import NEEDS_HUMAN, Review
from core.errors import StateError
from core.models import Dossier, LineItem
from store import AuditEntry, StoredDocument
from store.workbench import Upload
from web.services import WebContext

# A line's colour on the page: a flag a human must settle, a line the robot cut, a note, nothing.
SEVERITIES = ("high", "medium", "low", "none")
CUT_FLAGS = frozenset({"PRICE_ABOVE_GRID", "NOT_COVERED"})
REQUEST_QUOTE_WHY = {"not_revisable": "devis non révisable", "unreachable": "assuré injoignable"}


def severity(codes: set[str], revised: bool) -> str:
    if codes & NEEDS_HUMAN:
        return "high"
    if revised or codes & CUT_FLAGS:
        return "medium"
    return "low" if codes else "none"


@dataclass
class LineView:
    number: int  # 1-based, as the CLI prints it
    review: object  # LineReview
    item: LineItem | None
    severity: str

    @property
    def box(self) -> tuple[float, float, float, float] | None:
        if self.item is None or self.item.bbox == (0.0, 0.0, 0.0, 0.0):
            return None
        return self.item.bbox

    @property
    def page(self) -> int:
        return self.item.page if self.item else 1


@dataclass
class DossierView:
    dossier: Dossier
    document: StoredDocument | None
    review: Review | None
    document_version: int | None
    lines: list[LineView] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)
    upload: Upload | None = None
    assignee: str | None = None
    kind: str | None = None
    supplier: dict = field(default_factory=dict)
    page_sizes: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        return self.review.status if self.review else None

    @property
    def processing(self) -> bool:
        return self.upload is not None and self.upload.state in ("queued", "reading")


def dossier_view(context: WebContext, ref: str, with_history: bool = True) -> DossierView:
    store = context.store
    dossier = store.get_dossier(ref)
    stored = store.latest_review(ref)
    try:
        document = store.document(ref, stored.document_version if stored else None)
    except StateError:
        document = None
    view = DossierView(dossier, document, stored.review if stored else None,
                       stored.document_version if stored else None,
                       upload=context.workbench.latest_upload(ref), assignee=context.workbench.assignee(ref))
    if with_history:
        view.history = store.history(ref)
    if document is not None:
        extraction = store.cached_extraction(document.document.sha256, extraction_version())
        items = extraction.lines if extraction else []
        if extraction:
            view.supplier = {"name": extraction.supplier.name, "siren": extraction.supplier.siren,
                             "siret": extraction.supplier.siret, "number": extraction.quote_number,
                             "date": extraction.date.isoformat() if extraction.date else None,
                             "postcode": extraction.site_postcode}
        view.kind = document_kind(context, document.document.sha256)
        if view.review is not None:
            for line in view.review.lines:
                item = items[line.index] if 0 <= line.index < len(items) else None
                codes = {flag.code for flag in line.flags}
                view.lines.append(LineView(line.index + 1, line, item,
                                           severity(codes, line.revised_total_ht != line.quoted_total_ht)))
        view.page_sizes = page_sizes(context, document.document.sha256)
    return view


@functools.lru_cache(maxsize=4096)
def _kind_of(first_words: tuple[str, ...]) -> str | None:
    for word in first_words:
        folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower().strip(" :.-")
        if folded in ("devis", "facture"):
            return folded
    return None


_kinds: dict[str, str | None] = {}


def document_kind(context: WebContext, sha256: str | None) -> str | None:
    """'devis' or 'facture': the first of the two words the document's first page says, top to bottom."""
    if not sha256:
        return None
    if sha256 not in _kinds:
        pages = context.store.cached_pages(sha256, pages_version())
        if not pages:
            return None  # not read yet: asked again once it is
        if len(_kinds) > 50_000:
            _kinds.clear()
        words = sorted(pages[0].words, key=lambda w: (round(w.y0, 2), w.x0))
        _kinds[sha256] = _kind_of(tuple(w.text for w in words[:400]))
    return _kinds[sha256]


def page_sizes(context: WebContext, sha256: str) -> dict[int, tuple[float, float]]:
    pages = context.store.cached_pages(sha256, pages_version()) or []
    return {page.number: (page.width, page.height) for page in pages}


def review_json(view: DossierView) -> dict:
    """The dossier as the API returns it: the review contract plus where each line sits on its page."""
    dossier = view.dossier
    return {
        "dossier": {"ref": dossier.ref, "claim_date": dossier.claim_date.isoformat(),
                    "deductible": str(dossier.deductible), "guarantee": dossier.guarantee, "phone": dossier.phone,
                    "email": dossier.email, "postcode": dossier.postcode},
        "document": None if view.document is None else {
            "version": view.document.version, "name": view.document.document.source_name,
            "media_type": view.document.document.media_type.value, "pages": view.document.document.page_count,
            "kind": view.kind, "supplier": view.supplier},
        "processing": None if view.upload is None else {
            "state": view.upload.state, "error_code": view.upload.error_code, "error": view.upload.error_message,
            "seconds": view.upload.seconds},
        "assignee": view.assignee,
        "review": None if view.review is None else view.review.to_contract(),
        "boxes": [{"line": line.number, "page": line.page, "bbox": list(line.box) if line.box else None,
                   "severity": line.severity} for line in view.lines],
    }


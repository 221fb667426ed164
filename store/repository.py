"""The repository the flows, the CLI and the hand-off call. One method, one transaction.

Every change to a dossier writes an audit row (who, when, action, before, after) in the
same transaction as the change; every decision writes its outbox events there too.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.enums import TERMINAL_STATUSES, DecidedBy
from core.departements import is_known_postcode
from core.errors import InvalidDossierError, StateError
from core.models import (
    GUARANTEES,
    Document,
    Dossier,
    Extraction,
    MediaType,
    PageText,
    RuleLine,
    Word,
    cents,
    plain_text,
)
from core.review import Review
from core.settings import Settings
from handoff.events import PAYMENT_REQUESTED, REN_OFFER_REQUESTED, Event
from store.models import (
    ApproverRow,
    AuditRow,
    DelegationRow,
    DeliveryRow,
    DocumentRow,
    DossierRow,
    ExtractionRow,
    OutboxRow,
    PageCacheRow,
    QuoteClaimRow,
    ReviewRow,
)

DB_URL_ENV = "QUOTE_REVIEW_DB"
DEFAULT_DB_URL = "sqlite:///var/quote-review.db"  # with the default home (``QUOTE_REVIEW_HOME`` unset)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
APPROVER_LEVELS = ("team_lead", "manager")


def default_db_url() -> str:
    """``$QUOTE_REVIEW_DB``, else the SQLite file ``quote-review.db`` in ``$QUOTE_REVIEW_HOME`` (``./var``)."""
    return Settings.load().db_url


def open_store(url: str | None = None, settings: Settings | None = None) -> "Store":
    """Connect and bring the schema to the latest migration (``alembic upgrade head``)."""
    url = url or (settings.db_url if settings is not None else default_db_url())
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return Store(engine, settings or Settings.load())


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# The largest deductible a home-insurance contract carries, with room to spare: above, a typo.
MAX_DEDUCTIBLE = Decimal("100000")
# A reference names folders and files downstream: letters and digits first, then also '.', '_', '-'.
_SAFE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def validate_dossier(dossier: Dossier, today: dt.date | None = None) -> Dossier:  # noqa: C901 (one list of checks, each a line)
    """The dossier with its fields normalised, or ``InvalidDossierError`` naming what is wrong."""
    today = today or dt.date.today()
    problems = []
    ref = (dossier.ref or "").strip()
    if not ref:
        problems.append("the dossier reference is mandatory")
    elif not _SAFE_REF.fullmatch(ref) or ".." in ref:
        problems.append(f"dossier reference {ref!r}: up to 64 ASCII letters, digits, '.', '_' or '-', "
                        "starting with a letter or digit")
    if not isinstance(dossier.claim_date, dt.date):
        problems.append("the claim date is mandatory (YYYY-MM-DD)")
    elif dossier.claim_date > today:
        problems.append(f"the claim date {dossier.claim_date.isoformat()} is in the future")
    elif dossier.claim_date.year < 1990:
        problems.append(f"the claim date {dossier.claim_date.isoformat()} is too old")
    deductible = dossier.deductible
    if deductible is None or not isinstance(deductible, Decimal) or not deductible.is_finite():
        problems.append("the deductible is mandatory (euros, e.g. 150 or 150.00)")
    elif deductible < 0:
        problems.append(f"the deductible cannot be negative ({deductible})")
    elif deductible > MAX_DEDUCTIBLE:
        problems.append(f"the deductible {deductible} is above {MAX_DEDUCTIBLE} €")
    if dossier.guarantee not in GUARANTEES:
        problems.append(f"guarantee {dossier.guarantee!r} is not one of: {', '.join(GUARANTEES)}")
    phone = re.sub(r"[\s.\-]", "", dossier.phone or "")
    if not re.fullmatch(r"\+?[0-9]{9,15}", phone):
        problems.append(f"phone {dossier.phone!r}: 9 to 15 digits; use 000000000 when unknown")
    email = (dossier.email or "").strip()
    if email != "inconnu" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(f"email {dossier.email!r} is not an address; use 'inconnu' when unknown")
    postcode = (dossier.postcode or "").strip() or None
    if postcode is not None and not is_known_postcode(postcode):
        problems.append(f"postcode {dossier.postcode!r}: 5 digits naming a French département")
    if problems:
        raise InvalidDossierError("; ".join(problems))
    return Dossier(ref, dossier.claim_date, cents(deductible), dossier.guarantee, phone, email, postcode)


@dataclass(frozen=True)
class StoredDocument:
    id: int
    dossier_ref: str
    version: int
    document: Document


@dataclass(frozen=True)
class StoredReview:
    id: int
    dossier_ref: str
    document_version: int
    cycle: int
    review: Review
    created_at: dt.datetime

    @property
    def status(self) -> str:
        return self.review.status


@dataclass(frozen=True)
class DossierSummary:
    ref: str
    guarantee: str
    status: str | None
    quoted_ttc: Decimal | None
    revised_ttc: Decimal | None
    indemnity: Decimal | None
    document_version: int | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    reason: str | None
    before: dict | None
    after: dict | None


@dataclass(frozen=True)
class ReprocessItem:
    dossier_ref: str
    document_version: int
    sha256: str
    grid_version: str


@dataclass(frozen=True)
class DossierState:
    """What a workflow rule sees of a dossier before it changes: the dossier, its latest review and
    the REN offers already emitted for that review's document."""

    dossier: Dossier
    current: StoredReview | None
    current_contract: dict | None  # the latest review exactly as stored
    ren_offers: int
    pending_payments: tuple[Event, ...] = ()  # payment.requested events still waiting for their approval


@dataclass(frozen=True)
class ReviewChange:
    """A new review to record, with its outbox events and who did it (for the audit trail)."""

    review: Review
    document_version: int
    cycle: int
    events: list[Event]
    actor: str
    action: str
    reason: str | None = None
    details: dict | None = None
    claims: tuple[str, ...] = ()  # the quote's keys this review takes (``quote_keys``), first come first served
    cancelled_payments: tuple[str, ...] = ()  # pending payment events never to be released


@dataclass(frozen=True)
class ApprovalPowers:
    """What a user may approve on a day: their own level, and the approvers who delegated to them."""

    user: str
    own_level: str | None
    delegations: tuple[tuple[str, str], ...]  # (delegator, their level), oldest delegation first


class QuoteClaimed(Exception):
    """Another upload already claimed one of the quote's keys: this review is a duplicate of it."""

    def __init__(self, owner: str | None) -> None:
        super().__init__(owner or "another dossier")
        self.owner = owner


def quote_keys(sha256: str, extraction: Extraction) -> tuple[str, ...]:
    """The keys a quote is known by: its bytes, and its supplier (SIRET, else name) + number + TTC."""
    keys = [f"bytes:{sha256}"]
    number = _quote_number_key(extraction.quote_number)
    supplier = extraction.supplier.siret or (f"name:{key}" if (key := _name_key(extraction.supplier.name)) else None)
    if supplier and number:
        keys.append(f"quote:{supplier}|{number}|{_to_cents(extraction.totals.ttc)}")
    return tuple(keys)


@dataclass(frozen=True)
class PendingEvent:
    event: Event
    delivered_to: frozenset[str]


class Store:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction. ``write``: one that reads then writes, taking SQLite's write lock
        at its start (other writers wait for it, ``busy_timeout``) so what it read is still true when it
        writes; PostgreSQL's row locks and constraints do that job there."""
        with self._sessions.begin() as session:
            if write and self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    # --- dossiers -----------------------------------------------------------------------------

    def create_dossier(self, dossier: Dossier, by: str = "system", today: dt.date | None = None) -> Dossier:
        dossier = validate_dossier(dossier, today)
        with self.transaction() as session:
            if session.get(DossierRow, dossier.ref) is not None:
                raise InvalidDossierError(f"dossier {dossier.ref} already exists")
            now = _now()
            session.add(DossierRow(ref=dossier.ref, **_dossier_columns(dossier), created_at=now, updated_at=now))
            _audit(session, dossier.ref, by, "create", after=_dossier_json(dossier))
        return dossier

    def upsert_dossier(self, dossier: Dossier, by: str = "system", today: dt.date | None = None) -> Dossier:
        dossier = validate_dossier(dossier, today)
        with self.transaction() as session:
            row = session.get(DossierRow, dossier.ref)
            now = _now()
            if row is None:
                session.add(DossierRow(ref=dossier.ref, **_dossier_columns(dossier), created_at=now, updated_at=now))
                _audit(session, dossier.ref, by, "create", after=_dossier_json(dossier))
                return dossier
            before = _dossier_json(_dossier_from_row(row))
            if before != _dossier_json(dossier):
                for name, value in _dossier_columns(dossier).items():
                    setattr(row, name, value)
                row.updated_at = now
                _audit(session, dossier.ref, by, "update", before=before, after=_dossier_json(dossier))
        return dossier

    def find_dossier(self, ref: str) -> Dossier | None:
        with self.transaction() as session:
            row = session.get(DossierRow, ref)
            return None if row is None else _dossier_from_row(row)

    def get_dossier(self, ref: str) -> Dossier:
        dossier = self.find_dossier(ref)
        if dossier is None:
            raise InvalidDossierError(f"no dossier {ref!r}; create it with 'quote-review dossier create'")
        return dossier

    def list_dossiers(self, status: str | None = None) -> list[DossierSummary]:
        with self.transaction() as session:
            latest = _latest_review_ids(session)
            query = (
                select(DossierRow, ReviewRow)
                .outerjoin(latest, latest.c.dossier_ref == DossierRow.ref)
                .outerjoin(ReviewRow, ReviewRow.id == latest.c.review_id)
                .order_by(DossierRow.ref)
            )
            if status is not None:
                query = query.where(ReviewRow.status == status)
            return [
                DossierSummary(
                    ref=dossier.ref,
                    guarantee=dossier.guarantee,
                    status=review.status if review else None,
                    quoted_ttc=_from_cents(review.quoted_ttc_cents) if review else None,
                    revised_ttc=_from_cents(review.revised_ttc_cents) if review else None,
                    indemnity=_from_cents(review.indemnity_cents) if review else None,
                    document_version=review.document_version if review else None,
                    updated_at=max(dossier.updated_at, review.created_at) if review else dossier.updated_at,
                )
                for dossier, review in session.execute(query)
            ]

    # --- documents, pages, extractions --------------------------------------------------------

    def add_document(self, dossier_ref: str, document: Document) -> int:
        """The document's version number in the dossier (1, 2, ...); the same file again keeps its version."""
        with self.transaction() as session:
            if session.get(DossierRow, dossier_ref) is None:
                raise InvalidDossierError(f"no dossier {dossier_ref!r}; create it before adding a document")
            existing = session.scalars(
                select(DocumentRow).where(DocumentRow.dossier_ref == dossier_ref, DocumentRow.sha256 == document.sha256)
            ).first()
            if existing is not None:
                return existing.version
            version = (session.scalar(
                select(func.max(DocumentRow.version)).where(DocumentRow.dossier_ref == dossier_ref)
            ) or 0) + 1
            session.add(DocumentRow(
                dossier_ref=dossier_ref, version=version, doc_id=document.doc_id, sha256=document.sha256,
                media_type=document.media_type.value, original_path=str(document.original_path),
                source_name=document.source_name, size_bytes=document.size_bytes, page_count=document.page_count,
                created_at=_now(),
            ))
            _audit(session, dossier_ref, "system", "add_document",
                   after={"version": version, "sha256": document.sha256, "source_name": document.source_name})
            return version

    def find_document(self, sha256: str) -> StoredDocument | None:
        """The first upload of these bytes, in any dossier."""
        with self.transaction() as session:
            row = session.scalars(select(DocumentRow).where(DocumentRow.sha256 == sha256).order_by(DocumentRow.id)).first()
            return None if row is None else _stored_document(row)

    def document(self, dossier_ref: str, version: int | None = None) -> StoredDocument:
        """A dossier's document by version, the latest when ``version`` is None."""
        with self.transaction() as session:
            query = select(DocumentRow).where(DocumentRow.dossier_ref == dossier_ref)
            query = query.where(DocumentRow.version == version) if version else query.order_by(DocumentRow.version.desc())
            row = session.scalars(query).first()
            if row is None:
                raise StateError(f"dossier {dossier_ref} has no document" + (f" version {version}" if version else ""))
            return _stored_document(row)

    def cached_pages(self, sha256: str, extractor_version: str) -> list[PageText] | None:
        with self.transaction() as session:
            row = session.get(PageCacheRow, (sha256, extractor_version))
            return None if row is None else [_page_from_json(page) for page in row.pages]

    def cached_einvoice_xml(self, sha256: str, extractor_version: str) -> bytes | None:
        """The e-invoice XML saved with the pages (None when the file carries none or was not read)."""
        with self.transaction() as session:
            row = session.get(PageCacheRow, (sha256, extractor_version))
            return None if row is None or row.einvoice_xml is None else bytes(row.einvoice_xml)

    def save_pages(self, sha256: str, extractor_version: str, pages: list[PageText],
                   einvoice_xml: bytes | None = None) -> None:
        with self.transaction() as session:
            row = session.get(PageCacheRow, (sha256, extractor_version))
            data = [_page_json(page) for page in pages]
            if row is None:
                session.add(PageCacheRow(sha256=sha256, extractor_version=extractor_version, pages=data,
                                         einvoice_xml=einvoice_xml, created_at=_now()))
            else:
                row.pages = data
                row.einvoice_xml = einvoice_xml

    def save_extraction(self, sha256: str, extractor_version: str, extraction: Extraction) -> None:
        contract = extraction.to_contract()
        columns = dict(
            contract=contract,
            is_quote=extraction.is_quote,
            supplier_siret=extraction.supplier.siret,
            supplier_name_key=_name_key(extraction.supplier.name),
            quote_number=_quote_number_key(extraction.quote_number),
            ttc_cents=_to_cents(extraction.totals.ttc),
        )
        with self.transaction() as session:
            row = session.scalars(select(ExtractionRow).where(
                ExtractionRow.sha256 == sha256, ExtractionRow.extractor_version == extractor_version)).first()
            if row is None:
                session.add(ExtractionRow(sha256=sha256, extractor_version=extractor_version, created_at=_now(), **columns))
            else:
                for name, value in columns.items():
                    setattr(row, name, value)

    def cached_extraction(self, sha256: str, extractor_version: str) -> Extraction | None:
        with self.transaction() as session:
            row = session.scalars(select(ExtractionRow).where(
                ExtractionRow.sha256 == sha256, ExtractionRow.extractor_version == extractor_version)).first()
            return None if row is None else Extraction.from_contract(row.contract)

    def find_duplicate(self, dossier_ref: str, document_version: int, sha256: str, extraction: Extraction) -> str | None:
        """'dossier REF v N' of an already reviewed upload of the same quote, else None.

        The same quote is the same bytes, or the same supplier (SIRET, else name) + quote number + TTC.
        """
        with self.transaction() as session:
            reviewed = (
                select(DocumentRow)
                .join(ReviewRow, ReviewRow.document_id == DocumentRow.id)
                .where(~((DocumentRow.dossier_ref == dossier_ref) & (DocumentRow.version == document_version)))
                .order_by(DocumentRow.id)
            )
            same_bytes = session.scalars(reviewed.where(DocumentRow.sha256 == sha256)).first()
            if same_bytes is not None:
                return f"dossier {same_bytes.dossier_ref} v{same_bytes.version}"
            number = _quote_number_key(extraction.quote_number)
            if not extraction.is_quote or not number:
                return None
            supplier = (
                ExtractionRow.supplier_siret == extraction.supplier.siret if extraction.supplier.siret
                else ExtractionRow.supplier_name_key == _name_key(extraction.supplier.name)
            )
            if not extraction.supplier.siret and not _name_key(extraction.supplier.name):
                return None
            same_quote = session.scalars(
                reviewed.join(ExtractionRow, ExtractionRow.sha256 == DocumentRow.sha256).where(
                    supplier, ExtractionRow.quote_number == number,
                    ExtractionRow.ttc_cents == _to_cents(extraction.totals.ttc),
                )
            ).first()
            return None if same_quote is None else f"dossier {same_quote.dossier_ref} v{same_quote.version}"

    # --- reviews ------------------------------------------------------------------------------

    def append_review(self, dossier_ref: str, plan: Callable[[DossierState], ReviewChange | None]) -> StoredReview:
        """Read the dossier's state, let ``plan`` (the workflow's rules) say what changes, write it with its
        outbox events and its audit line: all in one transaction. ``plan`` returning ``None`` changes
        nothing and the current review is returned."""
        with self.transaction(write=True) as session:
            dossier = _dossier_from_row(_dossier_row(session, dossier_ref))
            current = _latest_review_row(session, dossier_ref)
            ren_offers = 0 if current is None else session.scalar(select(func.count()).select_from(OutboxRow).where(
                OutboxRow.dossier_ref == dossier_ref, OutboxRow.document_version == current.document_version,
                OutboxRow.type == REN_OFFER_REQUESTED))
            state = DossierState(dossier, None if current is None else _stored_review(current),
                                 None if current is None else current.contract, ren_offers or 0,
                                 tuple(_event(row) for row in _pending_payment_rows(session, dossier_ref)))
            change = plan(state)
            if change is None:
                if state.current is None:
                    raise StateError(f"dossier {dossier_ref} has no review yet; process its quote first")
                return state.current
            document_id = None
            if current is not None and current.document_version == change.document_version:
                document_id = current.document_id
            _claim(session, change.claims, dossier_ref, change.document_version)
            _cancel_payments(session, change.cancelled_payments)
            row = _insert_review(session, dossier_ref, change.review, change.document_version, change.cycle,
                                 change.events, document_id=document_id)
            after = (_review_summary(row) or {}) | ({"details": change.details} if change.details else {})
            _audit(session, dossier_ref, change.actor, change.action, reason=change.reason,
                   before=_review_summary(current), after=after)
            return _stored_review(row)

    def quote_claims(self, keys: tuple[str, ...]) -> dict[str, tuple[str, int]]:
        """Who owns each of these quote keys: key -> (dossier ref, document version)."""
        with self.transaction() as session:
            rows = session.scalars(select(QuoteClaimRow).where(QuoteClaimRow.key.in_(keys)))
            return {row.key: (row.dossier_ref, row.document_version) for row in rows}

    def latest_review(self, dossier_ref: str) -> StoredReview | None:
        with self.transaction() as session:
            row = _latest_review_row(session, dossier_ref)
            return None if row is None else _stored_review(row)

    def reviews(self, dossier_ref: str) -> list[StoredReview]:
        with self.transaction() as session:
            rows = session.scalars(select(ReviewRow).where(ReviewRow.dossier_ref == dossier_ref).order_by(ReviewRow.id))
            return [_stored_review(row) for row in rows]

    def reviews_to_reprocess(self, grid_version: str) -> list[ReprocessItem]:
        """Dossiers still open whose latest decision is the robot's with another grid version.

        Closed dossiers are left alone: their payment or offer has gone downstream.
        """
        with self.transaction() as session:
            latest = _latest_review_ids(session)
            rows = session.execute(
                select(ReviewRow, DocumentRow.sha256)
                .join(latest, latest.c.review_id == ReviewRow.id)
                .join(DocumentRow, DocumentRow.id == ReviewRow.document_id)
                .where(ReviewRow.decided_by == DecidedBy.ROBOT.value, ReviewRow.grid_version != grid_version,
                       ReviewRow.status.not_in([status.value for status in TERMINAL_STATUSES]))
                .order_by(ReviewRow.dossier_ref)
            )
            return [ReprocessItem(r.dossier_ref, r.document_version, sha, r.grid_version) for r, sha in rows]

    # --- payment approval ---------------------------------------------------------------------

    def set_approver(self, user: str, level: str, *, by: str) -> None:
        if level not in APPROVER_LEVELS:
            raise StateError(f"approver level {level!r}: one of {', '.join(APPROVER_LEVELS)}")
        with self.transaction() as session:
            row = session.get(ApproverRow, user)
            before = None if row is None else {"level": row.level}
            if row is None:
                session.add(ApproverRow(user=user, level=level))
            else:
                row.level = level
            _audit(session, "-", by, "set_approver", before=before, after={"user": user, "level": level})

    def delegate(self, delegator: str, delegate: str, starts_on: dt.date, ends_on: dt.date, *, by: str) -> None:
        if ends_on < starts_on:
            raise StateError("a delegation cannot end before it starts")
        with self.transaction() as session:
            if session.get(ApproverRow, delegator) is None:
                raise StateError(f"{delegator} is not an approver; nothing to delegate")
            session.add(DelegationRow(delegator=delegator, delegate=delegate, starts_on=starts_on, ends_on=ends_on,
                                      created_at=_now()))
            _audit(session, "-", by, "delegate", after={"delegator": delegator, "delegate": delegate,
                                                        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})

    def release_payment(self, dossier_ref: str, by: str, today: dt.date,
                        approve: Callable[[Event, ApprovalPowers], dict]) -> Event:
        """Release the dossier's oldest payment waiting for approval, with the approval ``approve`` (the
        workflow's rule) gives from the payment and what ``by`` may approve on ``today``; one transaction."""
        with self.transaction(write=True) as session:
            row = next(iter(_pending_payment_rows(session, dossier_ref)), None)
            if row is None:
                raise StateError(f"dossier {dossier_ref} has no payment waiting for approval")
            before = row.payload["payment"]["approval"]
            approval = approve(_event(row), _approval_powers(session, by, today))
            row.payload = dict(row.payload, payment=dict(row.payload["payment"], approval=approval))
            row.releasable = True
            _audit(session, dossier_ref, by, "approve_payment", before=before, after=approval)
            return _event(row)

    # --- outbox -------------------------------------------------------------------------------

    def events(self, dossier_ref: str | None = None) -> list[Event]:
        with self.transaction() as session:
            query = select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.id)
            if dossier_ref is not None:
                query = query.where(OutboxRow.dossier_ref == dossier_ref)
            return [_event(row) for row in session.scalars(query)]

    def pending_events(self, sink_names: list[str]) -> list[PendingEvent]:
        """Releasable events not yet delivered to every one of ``sink_names``."""
        with self.transaction() as session:
            rows = session.scalars(select(OutboxRow).where(OutboxRow.releasable.is_(True))
                                   .order_by(OutboxRow.created_at, OutboxRow.id)).all()
            delivered: dict[str, set[str]] = {}
            for event_id, sink in session.execute(
                select(DeliveryRow.event_id, DeliveryRow.sink).where(DeliveryRow.delivered_at.is_not(None))
            ):
                delivered.setdefault(event_id, set()).add(sink)
            return [
                PendingEvent(_event(row), frozenset(delivered.get(row.id, set())))
                for row in rows
                if not set(sink_names) <= delivered.get(row.id, set())
            ]

    def mark_delivery(self, event_id: str, sink: str, error: str | None = None) -> None:
        with self.transaction() as session:
            row = session.get(DeliveryRow, (event_id, sink))
            if row is None:
                row = DeliveryRow(event_id=event_id, sink=sink, attempts=0)
                session.add(row)
            row.attempts += 1
            if error is None:
                row.delivered_at = row.delivered_at or _now()
                row.last_error = None
            else:
                row.last_error = error

    def delivery_attempts(self, event_id: str, sink: str) -> int:
        with self.transaction() as session:
            row = session.get(DeliveryRow, (event_id, sink))
            return 0 if row is None else row.attempts

    # --- audit --------------------------------------------------------------------------------

    def history(self, dossier_ref: str) -> list[AuditEntry]:
        with self.transaction() as session:
            rows = session.scalars(select(AuditRow).where(AuditRow.dossier_ref == dossier_ref).order_by(AuditRow.id))
            return [AuditEntry(r.at, r.actor, r.action, r.reason, r.before, r.after) for r in rows]


def _approval_powers(session: Session, user: str, today: dt.date) -> ApprovalPowers:
    own = session.get(ApproverRow, user)
    delegations = session.execute(
        select(DelegationRow.delegator, ApproverRow.level)
        .join(ApproverRow, ApproverRow.user == DelegationRow.delegator)
        .where(DelegationRow.delegate == user, DelegationRow.starts_on <= today, DelegationRow.ends_on >= today)
        .order_by(DelegationRow.id)
    ).all()
    return ApprovalPowers(user, None if own is None else own.level, tuple((d, level) for d, level in delegations))


def _insert_review(session: Session, dossier_ref: str, review: Review, document_version: int, cycle: int,
                   events: list[Event], document_id: int | None = None) -> ReviewRow:
    if document_id is None:
        document_id = session.scalar(select(DocumentRow.id).where(
            DocumentRow.dossier_ref == dossier_ref, DocumentRow.version == document_version))
    row = ReviewRow(
        dossier_ref=dossier_ref, document_id=document_id, document_version=document_version, cycle=cycle,
        status=review.status, decided_by=review.decided_by, motive=review.motive, grid_version=review.grid_version,
        quoted_ttc_cents=_to_cents(review.quoted_ttc), revised_ttc_cents=_to_cents(review.revised_ttc),
        indemnity_cents=_to_cents(review.indemnity), contract=review.to_contract(), created_at=_now(),
    )
    session.add(row)
    known = set(session.scalars(select(OutboxRow.id).where(OutboxRow.id.in_([e.id for e in events]))))
    for e in events:
        if e.id not in known:
            session.add(OutboxRow(id=e.id, type=e.type, dossier_ref=e.dossier_ref, document_version=e.document_version,
                                  payload=e.payload, releasable=e.releasable, created_at=_now()))
    session.flush()
    return row


def _pending_payment_rows(session: Session, dossier_ref: str) -> list[OutboxRow]:
    """The dossier's payment.requested events waiting for an approval (not approved, not cancelled)."""
    rows = session.scalars(
        select(OutboxRow).where(OutboxRow.dossier_ref == dossier_ref, OutboxRow.type == PAYMENT_REQUESTED,
                                OutboxRow.releasable.is_(False)).order_by(OutboxRow.created_at, OutboxRow.id)
    ).all()
    return [row for row in rows if row.payload["payment"]["approval"]["status"] == "pending"]


def _claim(session: Session, keys: tuple[str, ...], dossier_ref: str, document_version: int) -> None:
    """Take the quote's keys for this upload; a key another upload holds makes this review a duplicate.

    The primary key settles a race: of two transactions inserting the same key, the second fails."""
    for key in keys:
        owner = session.get(QuoteClaimRow, key)
        if owner is None:
            session.add(QuoteClaimRow(key=key, dossier_ref=dossier_ref, document_version=document_version,
                                      created_at=_now()))
            try:
                session.flush()
            except IntegrityError:
                raise QuoteClaimed(None) from None
        elif (owner.dossier_ref, owner.document_version) != (dossier_ref, document_version):
            raise QuoteClaimed(f"dossier {owner.dossier_ref} v{owner.document_version}")


def _cancel_payments(session: Session, event_ids: tuple[str, ...]) -> None:
    for event_id in event_ids:
        row = session.get(OutboxRow, event_id)
        if row is None:
            continue
        payment = dict(row.payload["payment"])
        payment["approval"] = dict(payment["approval"], status="cancelled")
        row.payload = dict(row.payload, payment=payment)


def _latest_review_ids(session: Session):
    return (
        select(ReviewRow.dossier_ref, func.max(ReviewRow.id).label("review_id"))
        .group_by(ReviewRow.dossier_ref)
        .subquery()
    )


def _latest_review_row(session: Session, dossier_ref: str) -> ReviewRow | None:
    return session.scalars(
        select(ReviewRow).where(ReviewRow.dossier_ref == dossier_ref).order_by(ReviewRow.id.desc()).limit(1)
    ).first()


def _dossier_row(session: Session, ref: str) -> DossierRow:
    row = session.get(DossierRow, ref)
    if row is None:
        raise InvalidDossierError(f"no dossier {ref!r}; create it with 'quote-review dossier create'")
    return row


def _audit(session: Session, dossier_ref: str, actor: str, action: str, *, reason: str | None = None,
           before: dict | None = None, after: dict | None = None) -> None:
    session.add(AuditRow(dossier_ref=dossier_ref, at=_now(), actor=actor, action=action, reason=reason,
                         before=before, after=after))


def _review_summary(row: ReviewRow | None) -> dict | None:
    if row is None:
        return None
    contract = row.contract
    return {key: contract.get(key) for key in (
        "status", "motive", "decided_by", "grid_version", "quoted_ttc", "revised_ttc", "variance_ttc", "indemnity",
    )} | {"document_version": row.document_version}


def _stored_review(row: ReviewRow) -> StoredReview:
    return StoredReview(row.id, row.dossier_ref, row.document_version, row.cycle,
                        Review.from_contract(row.contract), row.created_at)


def _stored_document(row: DocumentRow) -> StoredDocument:
    return StoredDocument(row.id, row.dossier_ref, row.version, Document(
        doc_id=row.doc_id, sha256=row.sha256, media_type=MediaType(row.media_type),
        original_path=Path(row.original_path), source_name=row.source_name, size_bytes=row.size_bytes,
        page_count=row.page_count,
    ))


def _event(row: OutboxRow) -> Event:
    return Event(row.id, row.type, row.dossier_ref, row.document_version, row.payload, row.releasable)


def _dossier_columns(dossier: Dossier) -> dict:
    return dict(claim_date=dossier.claim_date, deductible_cents=_to_cents(dossier.deductible),
                guarantee=dossier.guarantee, phone=dossier.phone, email=dossier.email, postcode=dossier.postcode)


def _dossier_from_row(row: DossierRow) -> Dossier:
    return Dossier(row.ref, row.claim_date, Decimal(row.deductible_cents) / 100, row.guarantee, row.phone, row.email,
                   row.postcode)


def _dossier_json(dossier: Dossier) -> dict:
    return {"ref": dossier.ref, "claim_date": dossier.claim_date.isoformat(), "deductible": str(cents(dossier.deductible)),
            "guarantee": dossier.guarantee, "phone": dossier.phone, "email": dossier.email, "postcode": dossier.postcode}


def _page_json(page: PageText) -> dict:
    return {
        "number": page.number, "width": page.width, "height": page.height, "source": page.source,
        "seconds": page.seconds,
        "words": [[w.text, w.x0, w.y0, w.x1, w.y1, w.confidence] for w in page.words],
        "rules": [[r.x0, r.y0, r.x1, r.y1] for r in page.rules],
    }


def _page_from_json(data: dict) -> PageText:
    return PageText(
        number=data["number"], width=data["width"], height=data["height"], source=data["source"],
        words=[Word(*w) for w in data["words"]], rules=[RuleLine(*r) for r in data.get("rules", [])],
        seconds=data.get("seconds", 0.0),
    )


def _name_key(name: str | None) -> str | None:
    if not name:
        return None
    key = re.sub(r"[^0-9a-z]+", " ", plain_text(name)).strip()
    return key[:200] or None


def _quote_number_key(number: str | None) -> str | None:
    if not number:
        return None
    return re.sub(r"[\s]+", "", number).upper()[:64] or None


def _to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int(cents(value) * 100)


def _from_cents(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / 100


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)

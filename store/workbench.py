"""What reviewers work from: the dossiers list, uploads in progress, the review queue and its rules.

The list and the queue read the same tables as ``Store`` (the latest review of a dossier is its
state); uploads, assignments and queue rules are the web app's own tables. Every change is audited.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from core.enums import TERMINAL_STATUSES, DecidedBy, Status
from core.errors import InvalidDossierError, StateError
from store.models import (
    AssignmentRow,
    AuditRow,
    DocumentRow,
    DossierRow,
    ExtractionRow,
    QueueRulesRow,
    ReviewRow,
    UploadRow,
    UserRow,
)
from store.repository import Store, _audit, _dossier_row, _from_cents, _latest_review_row, _name_key, _now

UPLOAD_STATES = ("queued", "reading", "done", "error")
SORTS = {
    "ref": DossierRow.ref,
    "created": DossierRow.created_at,
    "state": ReviewRow.status,
    "ttc": ReviewRow.quoted_ttc_cents,
    "revised": ReviewRow.revised_ttc_cents,
    "guarantee": DossierRow.guarantee,
}
# The robot's closes (statuses that end a dossier, decided by the robot) are what the queue samples.
ROBOT_CLOSES = frozenset(TERMINAL_STATUSES)
REQUEST_QUOTE_REASONS = ("not_revisable", "unreachable")
MIN_SUPPLIER_SEARCH = 3  # letters of a supplier's name before it is searched (one letter matches them all)


@dataclass(frozen=True)
class Upload:
    id: int
    dossier_ref: str
    source_name: str
    uploaded_by: str
    state: str
    error_code: str | None
    error_message: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    seconds: float | None


@dataclass(frozen=True)
class ListedDossier:
    ref: str
    guarantee: str
    created_at: dt.datetime
    document_name: str | None
    document_sha256: str | None
    siren: str | None
    supplier_key: str | None
    processing: str | None  # the latest upload's state, None when the CLI reviewed it
    status: str | None
    decided_by: str | None
    quoted_ttc: Decimal | None
    revised_ttc: Decimal | None
    waiting_since: dt.datetime | None


@dataclass(frozen=True)
class DossierPage:
    rows: list[ListedDossier]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class QueueRules:
    """Besides every ``to_review`` dossier, which of the robot's closes get a second look."""

    one_in: int = 0  # 1 in N of the robot's closes (0: none)
    amount_min: Decimal | None = None  # quoted TTC band, bounds included
    amount_max: Decimal | None = None
    guarantees: tuple[str, ...] = ()
    sirens: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"one_in": self.one_in,
                "amount_min": None if self.amount_min is None else str(self.amount_min),
                "amount_max": None if self.amount_max is None else str(self.amount_max),
                "guarantees": list(self.guarantees), "sirens": list(self.sirens)}

    @classmethod
    def from_json(cls, data: dict) -> "QueueRules":
        def amount(value):
            return None if value in (None, "") else Decimal(str(value))
        return cls(int(data.get("one_in") or 0), amount(data.get("amount_min")), amount(data.get("amount_max")),
                   tuple(data.get("guarantees") or ()), tuple(data.get("sirens") or ()))

    @property
    def samples_anything(self) -> bool:
        return bool(self.one_in or self.amount_min is not None or self.amount_max is not None
                    or self.guarantees or self.sirens)

    def validate(self) -> "QueueRules":
        if self.one_in < 0:
            raise InvalidDossierError("1 in N: N is 0 (none) or more")
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise InvalidDossierError("the amount band's minimum is above its maximum")
        for siren in self.sirens:
            if not (len(siren) == 9 and siren.isdigit()):
                raise InvalidDossierError(f"SIREN {siren!r}: 9 digits")
        from core.models import GUARANTEES
        for guarantee in self.guarantees:
            if guarantee not in GUARANTEES:
                raise InvalidDossierError(f"guarantee {guarantee!r} is not one of: {', '.join(GUARANTEES)}")
        return self

    def why_sampled(self, ref: str, review_id: int, quoted_ttc: Decimal | None, guarantee: str,
                    siren: str | None) -> str | None:
        """The rule that puts this robot close in the queue, else None. 1 in N is drawn from a hash, so stable."""
        if self.one_in and int(hashlib.sha256(f"{ref}#{review_id}".encode()).hexdigest(), 16) % self.one_in == 0:
            return f"1 sur {self.one_in}"
        if (self.amount_min is not None or self.amount_max is not None) and quoted_ttc is not None:
            if (self.amount_min is None or quoted_ttc >= self.amount_min) and \
                    (self.amount_max is None or quoted_ttc <= self.amount_max):
                return "tranche de montant"
        if guarantee in self.guarantees:
            return "garantie"
        if siren and siren in self.sirens:
            return "fournisseur"
        return None


@dataclass(frozen=True)
class QueueItem:
    dossier: ListedDossier
    reason: str  # "to_review" or why a robot close was sampled
    assignee: str | None


@dataclass
class ListFilter:
    status: str | None = None
    guarantee: str | None = None
    search: str | None = None
    sort: str = "created"
    descending: bool = True
    page: int = 1
    per_page: int = 50
    extra: dict = field(default_factory=dict)


class Workbench:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- uploads ------------------------------------------------------------------------------

    def start_upload(self, dossier_ref: str, source_name: str, *, by: str) -> int:
        with self.store.transaction() as session:
            _dossier_row(session, dossier_ref)
            row = UploadRow(dossier_ref=dossier_ref, source_name=source_name[:200], uploaded_by=by, state="queued",
                            created_at=_now())
            session.add(row)
            session.flush()
            return row.id

    def set_upload_state(self, upload_id: int, state: str, *, error_code: str | None = None,
                         error_message: str | None = None, seconds: float | None = None) -> None:
        if state not in UPLOAD_STATES:
            raise ValueError(state)
        with self.store.transaction() as session:
            row = session.get(UploadRow, upload_id)
            if row is None:
                raise StateError(f"no upload {upload_id}")
            row.state, row.error_code, row.error_message = state, error_code, error_message
            if state in ("done", "error"):
                row.finished_at, row.seconds = _now(), seconds

    def upload(self, upload_id: int) -> Upload | None:
        with self.store.transaction() as session:
            row = session.get(UploadRow, upload_id)
            return None if row is None else _upload(row)

    def latest_upload(self, dossier_ref: str) -> Upload | None:
        with self.store.transaction() as session:
            row = session.scalars(select(UploadRow).where(UploadRow.dossier_ref == dossier_ref)
                                  .order_by(UploadRow.id.desc()).limit(1)).first()
            return None if row is None else _upload(row)

    def interrupted_uploads(self) -> list[Upload]:
        """Uploads a stopped app left queued or reading: the app marks them failed at start."""
        with self.store.transaction() as session:
            rows = session.scalars(select(UploadRow).where(UploadRow.state.in_(("queued", "reading"))))
            return [_upload(row) for row in rows]

    # --- the dossiers list --------------------------------------------------------------------

    def _listing(self):
        """Each dossier with its latest review, document, extraction and upload. Each "latest" is a correlated
        subquery on an indexed column, so a filter or a sort never makes the database group every table."""
        def latest(column, key, match):
            return select(func.max(column)).where(key == match).correlate(DossierRow, DocumentRow).scalar_subquery()

        columns = (DossierRow.ref, DossierRow.guarantee, DossierRow.created_at, DocumentRow.source_name,
                   DocumentRow.sha256, ExtractionRow.supplier_siret, ExtractionRow.supplier_name_key,
                   UploadRow.state, ReviewRow.status, ReviewRow.decided_by, ReviewRow.quoted_ttc_cents,
                   ReviewRow.revised_ttc_cents, ReviewRow.created_at.label("reviewed_at"), ReviewRow.id.label("review_id"))
        reviews, documents = aliased(ReviewRow), aliased(DocumentRow)
        extractions, uploads = aliased(ExtractionRow), aliased(UploadRow)
        return (
            select(*columns)
            .select_from(DossierRow)
            .outerjoin(ReviewRow, ReviewRow.id == latest(reviews.id, reviews.dossier_ref, DossierRow.ref))
            .outerjoin(DocumentRow, DocumentRow.id == latest(documents.id, documents.dossier_ref, DossierRow.ref))
            .outerjoin(ExtractionRow, ExtractionRow.id == latest(extractions.id, extractions.sha256, DocumentRow.sha256))
            .outerjoin(UploadRow, UploadRow.id == latest(uploads.id, uploads.dossier_ref, DossierRow.ref))
        )

    def list_dossiers(self, wanted: ListFilter) -> DossierPage:
        query = self._listing()
        if wanted.status == "none":
            query = query.where(ReviewRow.id.is_(None))
        elif wanted.status:
            # Through coalesce, so SQLite does not drive the query from the status index (one scan of the
            # dossiers per review row: a minute over 10 000 dossiers) but from the dossiers, as for any filter.
            query = query.where(func.coalesce(ReviewRow.status, "") == wanted.status)
        if wanted.guarantee:
            query = query.where(DossierRow.guarantee == wanted.guarantee)
        if wanted.search and wanted.search.strip():
            text = wanted.search.strip()
            key = _name_key(text)
            conditions = [func.lower(DossierRow.ref).contains(text.lower(), autoescape=True)]
            if key and len(key) >= MIN_SUPPLIER_SEARCH:
                conditions.append(ExtractionRow.supplier_name_key.contains(key, autoescape=True))
            if text.isdigit():
                conditions.append(ExtractionRow.supplier_siret.startswith(text, autoescape=True))
            query = query.where(or_(*conditions))
        sort = SORTS.get(wanted.sort, DossierRow.created_at)
        order = sort.desc() if wanted.descending else sort.asc()
        per_page = min(max(wanted.per_page, 1), 500)
        page = max(wanted.page, 1)
        with self.store.transaction() as session:
            if wanted.status or (wanted.search and wanted.search.strip()):
                total = session.scalar(select(func.count()).select_from(query.subquery()))
            else:  # only the dossiers' own columns filter: count them without the joins
                counted = select(func.count()).select_from(DossierRow)
                if wanted.guarantee:
                    counted = counted.where(DossierRow.guarantee == wanted.guarantee)
                total = session.scalar(counted)
            rows = session.execute(query.order_by(order.nulls_last(), DossierRow.ref)
                                   .limit(per_page).offset((page - 1) * per_page)).all()
        return DossierPage([_listed(row) for row in rows], total or 0, page, per_page)

    def all_dossiers(self, wanted: ListFilter) -> list[ListedDossier]:
        """Every dossier the filter keeps (for the CSV export), in the filter's order."""
        everything = ListFilter(wanted.status, wanted.guarantee, wanted.search, wanted.sort, wanted.descending,
                                page=1, per_page=500)
        rows: list[ListedDossier] = []
        while True:
            chunk = self.list_dossiers(everything)
            rows.extend(chunk.rows)
            if everything.page >= chunk.pages:
                return rows
            everything.page += 1

    # --- the review queue ---------------------------------------------------------------------

    def queue_rules(self) -> QueueRules:
        with self.store.transaction() as session:
            row = session.scalars(select(QueueRulesRow).order_by(QueueRulesRow.id.desc()).limit(1)).first()
            return QueueRules() if row is None else QueueRules.from_json(row.rules)

    def set_queue_rules(self, new_rules: QueueRules, *, by: str) -> QueueRules:
        new_rules.validate()
        before = self.queue_rules()
        with self.store.transaction() as session:
            session.add(QueueRulesRow(rules=new_rules.to_json(), updated_by=by, updated_at=_now()))
            _audit(session, "-", by, "queue_rules", before=before.to_json(), after=new_rules.to_json())
        return new_rules

    def queue(self, assignee: str | None = None) -> list[QueueItem]:
        """Dossiers waiting for a human, oldest first: every ``to_review``, then the sampled robot closes.

        A dossier for which a reviewer asked a new quote waits for that quote, not in the queue; a
        sampled close leaves the queue once a reviewer has given it its second look.
        """
        queue_rules = self.queue_rules()
        with self.store.transaction() as session:
            status = func.coalesce(ReviewRow.status, "")  # see list_dossiers: not driven by the status index
            sampled = [and_(ReviewRow.decided_by == DecidedBy.ROBOT, status.in_(ROBOT_CLOSES))] \
                if queue_rules.samples_anything else []
            rows = session.execute(self._listing().where(or_(status == Status.TO_REVIEW, *sampled))).all()
            assigned: dict[str, str] = {ref: assignee for ref, assignee in  # typed alike on SQLAlchemy 2.0 and 2.1
                                        session.execute(select(AssignmentRow.dossier_ref, AssignmentRow.assignee))}
            after_review = self._later_actions(session, {row.ref: row.reviewed_at for row in rows})
        items = []
        for row in rows:
            done = after_review.get(row.ref, set())
            reason: str | None
            if row.status == Status.TO_REVIEW:
                reason = None if "request_quote" in done else "to_review"
            elif "second_look" in done:
                reason = None
            else:
                siren = row.supplier_siret[:9] if row.supplier_siret else None
                reason = queue_rules.why_sampled(row.ref, row.review_id, _from_cents(row.quoted_ttc_cents),
                                                 row.guarantee, siren)
            if reason is None:
                continue
            if assignee is not None and assigned.get(row.ref) != assignee:
                continue
            items.append(QueueItem(_listed(row), reason, assigned.get(row.ref)))
        items.sort(key=lambda item: (item.reason != "to_review", item.dossier.waiting_since or _now(), item.dossier.ref))
        return items

    def _later_actions(self, session, reviewed_at: dict[str, dt.datetime]) -> dict[str, set[str]]:
        """For each dossier, the queue actions (second look, new quote asked) recorded after its latest review."""
        if not reviewed_at:
            return {}
        found: dict[str, set[str]] = {}
        for ref, action, at in session.execute(
            select(AuditRow.dossier_ref, AuditRow.action, AuditRow.at)
            .where(AuditRow.action.in_(("second_look", "request_quote")))
        ):
            if ref in reviewed_at and reviewed_at[ref] is not None and at >= reviewed_at[ref]:
                found.setdefault(ref, set()).add(action)
        return found

    def assign(self, dossier_ref: str, assignee: str, *, by: str) -> None:
        with self.store.transaction() as session:
            _dossier_row(session, dossier_ref)
            user = session.get(UserRow, assignee)
            if user is None or not user.active or user.role not in ("reviewer", "manager"):
                raise StateError(f"{assignee!r} is not an active reviewer or manager")
            row = session.get(AssignmentRow, dossier_ref)
            before = None if row is None else {"assignee": row.assignee}
            if row is None:
                session.add(AssignmentRow(dossier_ref=dossier_ref, assignee=assignee, assigned_by=by, assigned_at=_now()))
            else:
                row.assignee, row.assigned_by, row.assigned_at = assignee, by, _now()
            _audit(session, dossier_ref, by, "assign", before=before, after={"assignee": assignee})

    def take_next(self, user: str) -> str | None:
        """The oldest unassigned dossier of the queue, assigned to ``user`` (the queue rotating by itself)."""
        for item in self.queue():
            if item.assignee is None:
                self.assign(item.dossier.ref, user, by=user)
                return item.dossier.ref
        return None

    def assignee(self, dossier_ref: str) -> str | None:
        with self.store.transaction() as session:
            row = session.get(AssignmentRow, dossier_ref)
            return None if row is None else row.assignee

    # --- queue actions that leave the decision as it is ---------------------------------------

    def second_look(self, dossier_ref: str, *, by: str, reason: str | None = None) -> None:
        """A reviewer confirms a robot close sampled for a second look (to change it, reopen it)."""
        with self.store.transaction() as session:
            current = _latest_review_row(session, dossier_ref)
            if current is None or current.decided_by != DecidedBy.ROBOT or current.status not in ROBOT_CLOSES:
                raise StateError(f"dossier {dossier_ref} is not a close of the robot; nothing to confirm")
            _audit(session, dossier_ref, by, "second_look", reason=reason,
                   after={"review_id": current.id, "status": current.status})

    def request_new_quote(self, dossier_ref: str, why: str, *, by: str, reason: str | None = None) -> None:
        """Ask the policyholder for a new quote (this one cannot be revised, or they cannot be reached):
        the dossier stays open and leaves the queue until a new document is reviewed."""
        if why not in REQUEST_QUOTE_REASONS:
            raise StateError(f"a new quote is asked because: {' or '.join(REQUEST_QUOTE_REASONS)}")
        with self.store.transaction() as session:
            current = _latest_review_row(session, dossier_ref)
            _dossier_row(session, dossier_ref)
            if current is not None and current.status in TERMINAL_STATUSES:
                raise StateError(f"dossier {dossier_ref} is closed (status {current.status}); reopen it first")
            _audit(session, dossier_ref, by, "request_quote", reason=reason,
                   after={"why": why, "document_version": None if current is None else current.document_version})


def _listed(row) -> ListedDossier:
    return ListedDossier(
        ref=row.ref, guarantee=row.guarantee, created_at=row.created_at, document_name=row.source_name,
        document_sha256=row.sha256, siren=row.supplier_siret[:9] if row.supplier_siret else None,
        supplier_key=row.supplier_name_key, processing=row.state, status=row.status, decided_by=row.decided_by,
        quoted_ttc=_from_cents(row.quoted_ttc_cents), revised_ttc=_from_cents(row.revised_ttc_cents),
        waiting_since=row.reviewed_at,
    )


def _upload(row: UploadRow) -> Upload:
    return Upload(row.id, row.dossier_ref, row.source_name, row.uploaded_by, row.state, row.error_code,
                  row.error_message, row.created_at, row.finished_at, row.seconds)

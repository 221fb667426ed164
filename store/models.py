"""Database tables (SQLAlchemy 2). The schema is created and changed only by the Alembic
migrations in ``store/migrations``; ``tests/store`` checks that both agree.

Money is stored as integer cents (exact on SQLite and PostgreSQL alike); contracts and
OCR words as JSON (JSONB on PostgreSQL).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in and out; SQLite keeps them naive, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class DossierRow(Base):
    __tablename__ = "dossiers"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    claim_date: Mapped[dt.date] = mapped_column(Date)
    deductible_cents: Mapped[int] = mapped_column(BigInteger)
    guarantee: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    postcode: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("dossier_ref", "version", name="uq_documents_dossier_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_ref: Mapped[str] = mapped_column(ForeignKey("dossiers.ref"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    doc_id: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    original_path: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class PageCacheRow(Base):
    """What OCR or the text layer read, so re-pricing or re-extracting never redoes OCR."""

    __tablename__ = "page_cache"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    extractor_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    pages: Mapped[list] = mapped_column(JsonType)
    # The Factur-X / ZUGFeRD XML the PDF carries (None when it carries none): read once with the pages.
    einvoice_xml: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ExtractionRow(Base):
    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("sha256", "extractor_version", name="uq_extractions_sha_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    extractor_version: Mapped[str] = mapped_column(String(32))
    contract: Mapped[dict] = mapped_column(JsonType)
    is_quote: Mapped[bool] = mapped_column(Boolean)
    supplier_siret: Mapped[str | None] = mapped_column(String(14), index=True)
    supplier_name_key: Mapped[str | None] = mapped_column(String(200))
    quote_number: Mapped[str | None] = mapped_column(String(64), index=True)
    ttc_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ReviewRow(Base):
    """Every decision is a new row; the dossier's current state is its latest row."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_ref: Mapped[str] = mapped_column(ForeignKey("dossiers.ref"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    document_version: Mapped[int] = mapped_column(Integer)
    cycle: Mapped[int] = mapped_column(Integer)  # number of reopenings before this decision
    status: Mapped[str] = mapped_column(String(32), index=True)
    decided_by: Mapped[str] = mapped_column(String(16))
    motive: Mapped[str | None] = mapped_column(String(80))
    grid_version: Mapped[str] = mapped_column(String(64))
    quoted_ttc_cents: Mapped[int] = mapped_column(BigInteger)
    revised_ttc_cents: Mapped[int | None] = mapped_column(BigInteger)
    indemnity_cents: Mapped[int | None] = mapped_column(BigInteger)
    contract: Mapped[dict] = mapped_column(JsonType)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_ref: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JsonType)
    after: Mapped[dict | None] = mapped_column(JsonType)


class OutboxRow(Base):
    """Events for downstream systems, written in the decision's transaction (transactional outbox)."""

    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # deterministic: see handoff.events
    type: Mapped[str] = mapped_column(String(40), index=True)
    dossier_ref: Mapped[str] = mapped_column(ForeignKey("dossiers.ref"), index=True)
    document_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JsonType)
    releasable: Mapped[bool] = mapped_column(Boolean)  # False while a payment awaits its approval
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DeliveryRow(Base):
    """One row per event and sink: an event delivered to one sink is never sent there again."""

    __tablename__ = "deliveries"

    event_id: Mapped[str] = mapped_column(ForeignKey("outbox.id"), primary_key=True)
    sink: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ApproverRow(Base):
    __tablename__ = "approvers"

    user: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))  # team_lead | manager


class DelegationRow(Base):
    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delegator: Mapped[str] = mapped_column(ForeignKey("approvers.user"), index=True)
    delegate: Mapped[str] = mapped_column(String(64), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class QuoteClaimRow(Base):
    """Who reviewed a quote first: one row per key of the quote (its bytes; its supplier, number and TTC).

    The primary key is the database's guarantee that two workers recording the same quote at once
    cannot both claim it: the second insert fails and that review becomes a duplicate.
    """

    __tablename__ = "quote_claims"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    dossier_ref: Mapped[str] = mapped_column(ForeignKey("dossiers.ref"), index=True)
    document_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


# --- the reviewers' web app (web/): users, sessions, uploads, the review queue -------------------


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # reviewer | manager | approver | admin
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, PHC string
    active: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)  # consecutive failures since the last success
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WebSessionRow(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's token is kept, so the table gives no session away."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class UploadRow(Base):
    """One document sent through the web app and where its review stands (queued, reading, done, error)."""

    __tablename__ = "web_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_ref: Mapped[str] = mapped_column(ForeignKey("dossiers.ref"), index=True)
    source_name: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    seconds: Mapped[float | None] = mapped_column(Float)


class AssignmentRow(Base):
    """Who a dossier waiting for a human is assigned to (none: anyone's in the shared queue)."""

    __tablename__ = "queue_assignments"

    dossier_ref: Mapped[str] = mapped_column(ForeignKey("dossiers.ref"), primary_key=True)
    assignee: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class QueueRulesRow(Base):
    """The review queue's sampling rules, one row per edit (the latest applies), so every change is kept."""

    __tablename__ = "queue_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rules: Mapped[dict] = mapped_column(JsonType)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

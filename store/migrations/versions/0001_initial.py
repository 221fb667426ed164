"""Initial schema: dossiers, documents, page cache, extractions, reviews, audit, outbox, approvals.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
import sqlalchemy as sa
from alembic import op

from store.models import JsonType, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("claim_date", sa.Date(), nullable=False),
        sa.Column("deductible_cents", sa.BigInteger(), nullable=False),
        sa.Column("guarantee", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("postcode", sa.String(5), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc_id", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("original_path", sa.Text(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("dossier_ref", "version", name="uq_documents_dossier_version"),
    )
    op.create_index("ix_documents_dossier_ref", "documents", ["dossier_ref"])
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "page_cache",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("extractor_version", sa.String(32), primary_key=True),
        sa.Column("pages", JsonType, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "extractions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("extractor_version", sa.String(32), nullable=False),
        sa.Column("contract", JsonType, nullable=False),
        sa.Column("is_quote", sa.Boolean(), nullable=False),
        sa.Column("supplier_siret", sa.String(14), nullable=True),
        sa.Column("supplier_name_key", sa.String(200), nullable=True),
        sa.Column("quote_number", sa.String(64), nullable=True),
        sa.Column("ttc_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("sha256", "extractor_version", name="uq_extractions_sha_version"),
    )
    op.create_index("ix_extractions_sha256", "extractions", ["sha256"])
    op.create_index("ix_extractions_supplier_siret", "extractions", ["supplier_siret"])
    op.create_index("ix_extractions_quote_number", "extractions", ["quote_number"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=True),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("decided_by", sa.String(16), nullable=False),
        sa.Column("motive", sa.String(80), nullable=True),
        sa.Column("grid_version", sa.String(64), nullable=False),
        sa.Column("quoted_ttc_cents", sa.BigInteger(), nullable=False),
        sa.Column("revised_ttc_cents", sa.BigInteger(), nullable=True),
        sa.Column("indemnity_cents", sa.BigInteger(), nullable=True),
        sa.Column("contract", JsonType, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_reviews_dossier_ref", "reviews", ["dossier_ref"])
    op.create_index("ix_reviews_status", "reviews", ["status"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dossier_ref", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", JsonType, nullable=True),
        sa.Column("after", JsonType, nullable=True),
    )
    op.create_index("ix_audit_dossier_ref", "audit", ["dossier_ref"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("releasable", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_outbox_type", "outbox", ["type"])
    op.create_index("ix_outbox_dossier_ref", "outbox", ["dossier_ref"])
    op.create_table(
        "deliveries",
        sa.Column("event_id", sa.String(36), sa.ForeignKey("outbox.id"), primary_key=True),
        sa.Column("sink", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table(
        "approvers",
        sa.Column("user", sa.String(64), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
    )
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delegator", sa.String(64), sa.ForeignKey("approvers.user"), nullable=False),
        sa.Column("delegate", sa.String(64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_delegations_delegator", "delegations", ["delegator"])
    op.create_index("ix_delegations_delegate", "delegations", ["delegate"])


def downgrade() -> None:
    for table in ("delegations", "approvers", "deliveries", "outbox", "audit", "reviews", "extractions",
                  "page_cache", "documents", "dossiers"):
        op.drop_table(table)

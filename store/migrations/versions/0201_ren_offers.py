"""REN offers: one row per repair-in-kind offer, with its answer.

Revision ID: 0201_ren_offers
Revises: 0200_audit_chain
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from store.models import JsonType, UtcDateTime

revision = "0201_ren_offers"
down_revision = "0200_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ren_offers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("offered_by", sa.String(16), nullable=False),
        sa.Column("offered_at", UtcDateTime(), nullable=False),
        sa.Column("revised_ttc_cents", sa.BigInteger(), nullable=False),
        sa.Column("saving_ttc_cents", sa.BigInteger(), nullable=False),
        sa.Column("lines", JsonType, nullable=False),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("result_event_id", sa.String(36), nullable=True),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_ren_offers_dossier_ref", "ren_offers", ["dossier_ref"])
    op.create_index("ix_ren_offers_state", "ren_offers", ["state"])


def downgrade() -> None:
    op.drop_table("ren_offers")

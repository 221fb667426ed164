"""Audit hash chain: every audit entry carries the previous entry's hash; the chain's head is one row.

Existing entries are chained here, in the order they were written (their ids).

Revision ID: 0200_audit_chain
Revises: 0100_web_users
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from store.audit_chain import GENESIS_HASH, HEAD_ROW_ID, canonical_entry, entry_hash
from store.models import JsonType, UtcDateTime

revision = "0200_audit_chain"
down_revision = "0100_web_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(64), nullable=True))

    audit = sa.table(
        "audit", sa.column("id", sa.Integer()), sa.column("dossier_ref", sa.String()), sa.column("at", UtcDateTime()),
        sa.column("actor", sa.String()), sa.column("action", sa.String()), sa.column("reason", sa.Text()),
        sa.column("before", JsonType), sa.column("after", JsonType), sa.column("chain_seq", sa.BigInteger()),
        sa.column("prev_hash", sa.String()), sa.column("entry_hash", sa.String()),
    )
    bind = op.get_bind()
    prev_hash, seq = GENESIS_HASH, 0
    rows = bind.execute(sa.select(audit.c.id, audit.c.dossier_ref, audit.c.at, audit.c.actor, audit.c.action,
                                  audit.c.reason, audit.c.before, audit.c.after).order_by(audit.c.id)).all()
    for row in rows:
        seq += 1
        digest = entry_hash(prev_hash, canonical_entry(seq, row.dossier_ref, row.at, row.actor, row.action,
                                                       row.reason, row.before, row.after))
        bind.execute(audit.update().where(audit.c.id == row.id)
                     .values(chain_seq=seq, prev_hash=prev_hash, entry_hash=digest))
        prev_hash = digest
    op.bulk_insert(head, [{"id": HEAD_ROW_ID, "last_seq": seq, "last_hash": prev_hash}])

    with op.batch_alter_table("audit") as batch:
        batch.alter_column("chain_seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_audit_chain_seq", ["chain_seq"])


def downgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.drop_constraint("uq_audit_chain_seq", type_="unique")
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("chain_seq")
    op.drop_table("audit_chain_head")

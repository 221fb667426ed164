"""Quote claims: the first review of a quote owns its keys, enforced by the primary key.

Existing reviewed quotes are claimed in the order they were uploaded (the first upload owns a key),
as the duplicate check already saw them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

from store.models import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    claims = op.create_table(
        "quote_claims",
        sa.Column("key", sa.String(320), primary_key=True),
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_quote_claims_dossier_ref", "quote_claims", ["dossier_ref"])
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT DISTINCT d.id, d.dossier_ref, d.version, d.sha256, e.is_quote, e.supplier_siret, "
        "e.supplier_name_key, e.quote_number, e.ttc_cents FROM documents d "
        "JOIN reviews r ON r.document_id = d.id LEFT JOIN extractions e ON e.sha256 = d.sha256 "
        "ORDER BY d.id"
    )).fetchall()
    owned: set[str] = set()
    now = dt.datetime.now(dt.timezone.utc)
    for _, ref, version, sha256, is_quote, siret, name_key, number, ttc_cents in rows:
        if not is_quote:
            continue
        keys = [f"bytes:{sha256}"]
        supplier = siret or (f"name:{name_key}" if name_key else None)
        if supplier and number:
            keys.append(f"quote:{supplier}|{number}|{ttc_cents}")
        for key in keys:
            if key not in owned:
                owned.add(key)
                connection.execute(claims.insert().values(key=key, dossier_ref=ref, document_version=version,
                                                          created_at=now))


def downgrade() -> None:
    op.drop_table("quote_claims")

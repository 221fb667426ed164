"""Page cache: keep the e-invoice XML a PDF carries beside the words of its pages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page_cache") as batch:
        batch.add_column(sa.Column("einvoice_xml", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_cache") as batch:
        batch.drop_column("einvoice_xml")

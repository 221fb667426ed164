"""The reviewers' web app: users, their sessions, uploads in progress, queue assignments and rules.

Revision ID: 0100_web_users
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from store.models import JsonType, UtcDateTime

revision = "0100_web_users"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_web_sessions_user_name", "web_sessions", ["user_name"])
    op.create_table(
        "web_uploads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(32), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
    )
    op.create_index("ix_web_uploads_dossier_ref", "web_uploads", ["dossier_ref"])
    op.create_table(
        "queue_assignments",
        sa.Column("dossier_ref", sa.String(64), sa.ForeignKey("dossiers.ref"), primary_key=True),
        sa.Column("assignee", sa.String(64), sa.ForeignKey("users.name"), nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_queue_assignments_assignee", "queue_assignments", ["assignee"])
    op.create_table(
        "queue_rules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rules", JsonType, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    for index, table in (("ix_queue_assignments_assignee", "queue_assignments"),
                         ("ix_web_uploads_dossier_ref", "web_uploads"),
                         ("ix_web_sessions_user_name", "web_sessions")):
        op.drop_index(index, table_name=table)
    for table in ("queue_rules", "queue_assignments", "web_uploads", "web_sessions", "users"):
        op.drop_table(table)

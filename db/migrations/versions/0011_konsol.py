"""konsol: tables for issue 15 (the konsol: login links, sessions, versions).

Revision ID: 0011
Revises: 0010

The konsol's one-time login links and admin sessions, the version of each calendar
session (a form saved over someone else's change is refused), and an index to list people
by name a page at a time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "konsol_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", db.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_konsol_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_konsol_links_token_hash")),
    )
    op.create_table(
        "konsol_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", db.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", db.base.UTCDateTime(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_konsol_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_konsol_sessions_token_hash")),
    )
    with op.batch_alter_table("konsol_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_konsol_sessions_admin", ["channel", "external_id"],
                              unique=False)
    with op.batch_alter_table("learning_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1",
                                      nullable=False))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_full_name", ["full_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_full_name")
    with op.batch_alter_table("learning_sessions", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("konsol_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_konsol_sessions_admin")
    op.drop_table("konsol_sessions")
    op.drop_table("konsol_links")

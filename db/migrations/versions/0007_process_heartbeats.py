"""process_heartbeats: which background processes are alive (issue 12).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_heartbeats",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", db.base.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_process_heartbeats")),
    )
    with op.batch_alter_table("process_heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_heartbeats_last_seen_at"),
                              ["last_seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_heartbeats_last_seen_at"))
    op.drop_table("process_heartbeats")

"""operations: tables for issue 17 (operations: erasure log, purge summaries, alerts).

Revision ID: 0013
Revises: 0012

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- the erasure log (db/models/operations.py, db/erasures.py): restores re-apply it ---
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("erased_at", db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("subject", name=op.f("uq_erasures_subject")),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasures_erased_at"), ["erased_at"], unique=False)
    # --- the purge (db/purge.py): is a payload still used? (also what a payload's DELETE
    # checks for its foreign key, which would otherwise scan the whole outbox) ---
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_payload_id", ["payload_id"], unique=False)
    # Erasures made before this release are known by their people rows.
    op.execute(
        "INSERT INTO erasures (subject, erased_at) "
        "SELECT 'person:' || CAST(id AS VARCHAR(20)), erased_at FROM people "
        "WHERE erased_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_payload_id")
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasures_erased_at"))
    op.drop_table("erasures")

"""webinar: tables for issue 14 (the webinar moment: stored updates, flow control, leader).

Revision ID: 0010
Revises: 0009

- telegram_updates: every Telegram update stored before it is confirmed (polling) or
  answered 200 (webhook), then handled from the store;
- channel_flow: one row per channel, shared by every sending process (429 pause, broadcast
  slots);
- process_heartbeats.leader_until: the scheduler's leader lease on SQLite;
- whatsapp_inbox.claimed_by: which process holds a sender's messages (several processes
  may now work through the inbox).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replies", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("received_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_telegram_updates")),
    )
    free = sa.text("status IN ('pending', 'handled') AND claimed_by IS NULL")
    op.create_index("ix_telegram_updates_free", "telegram_updates", ["update_id"], unique=False,
                    postgresql_where=free, sqlite_where=free)
    op.create_index("ix_telegram_updates_chat", "telegram_updates", ["chat_key", "update_id"],
                    unique=False)

    op.create_table(
        "channel_flow",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_flow")),
    )
    # Plain ADD COLUMN (no table copy): the inbox and the heartbeats may be large or busy.
    op.add_column("process_heartbeats",
                  sa.Column("leader_until", db.base.UTCDateTime(timezone=True), nullable=True))
    op.add_column("whatsapp_inbox",
                  sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.create_index("ix_whatsapp_inbox_sender", "whatsapp_inbox", ["wa_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_whatsapp_inbox_sender", table_name="whatsapp_inbox")
    with op.batch_alter_table("whatsapp_inbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("process_heartbeats", schema=None) as batch_op:
        batch_op.drop_column("leader_until")
    op.drop_table("channel_flow")
    op.drop_index("ix_telegram_updates_chat", table_name="telegram_updates")
    op.drop_index("ix_telegram_updates_free", table_name="telegram_updates")
    op.drop_table("telegram_updates")

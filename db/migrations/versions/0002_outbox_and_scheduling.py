"""outbox and scheduling: tables for issue 3 (outbox, nudges, calendar import).

Revision ID: 0002
Revises: 0001

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- outbox (bot/outbox.py, bot/dispatcher.py, schedules/nudges.py) ---
    op.create_table('outbox_payloads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_payloads')),
    sa.UniqueConstraint('digest', name=op.f('uq_outbox_payloads_digest'))
    )
    op.create_table('nudge_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('zone', sa.String(length=4), nullable=False),
    sa.Column('ref_id', sa.BigInteger(), nullable=True),
    sa.Column('due_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('payload_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payload_id'], ['outbox_payloads.id'], name=op.f('fk_nudge_plans_payload_id_outbox_payloads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudge_plans')),
    sa.UniqueConstraint('key', name=op.f('uq_nudge_plans_key'))
    )
    with op.batch_alter_table('nudge_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nudge_plans_day'), ['day'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idem_key', sa.String(length=160), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('payload_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('platform_message_id', sa.String(length=64), nullable=True),
    sa.Column('ref_type', sa.String(length=16), nullable=True),
    sa.Column('ref_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['payload_id'], ['outbox_payloads.id'], name=op.f('fk_outbox_payload_id_outbox_payloads')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_outbox_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_outbox_idem_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_claim', ['status', 'channel', 'priority', 'not_before', 'id'], unique=False)
        batch_op.create_index('ix_outbox_person', ['person_id', 'status'], unique=False)
        batch_op.create_index('ix_outbox_ref', ['ref_type', 'ref_id', 'status'], unique=False)
    # --- end outbox ---


def downgrade() -> None:
    # --- outbox ---
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_ref')
        batch_op.drop_index('ix_outbox_person')
        batch_op.drop_index('ix_outbox_claim')

    op.drop_table('outbox')
    with op.batch_alter_table('nudge_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nudge_plans_day'))

    op.drop_table('nudge_plans')
    op.drop_table('outbox_payloads')
    # --- end outbox ---

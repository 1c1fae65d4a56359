"""announcements: tables for issue 7 (announcements).

Revision ID: 0006
Revises: 0005

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- announcements (db/models/announcements.py, schedules/announcements.py) ---
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_by_person_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('media_kind', sa.String(length=10), nullable=True),
    sa.Column('media_channel', sa.String(length=16), nullable=True),
    sa.Column('media_file_id', sa.String(length=300), nullable=True),
    sa.Column('media_filename', sa.String(length=200), nullable=True),
    sa.Column('media_mime', sa.String(length=100), nullable=True),
    sa.Column('media_path', sa.String(length=500), nullable=True),
    sa.Column('segment', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('scheduled_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('queued_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stop_requested_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stopped_by', sa.String(length=80), nullable=True),
    sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('progress_channel', sa.String(length=16), nullable=True),
    sa.Column('progress_chat_id', sa.String(length=64), nullable=True),
    sa.Column('progress_message_id', sa.String(length=64), nullable=True),
    sa.Column('audience', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('blocked', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_person_id'], ['people.id'], name=op.f('fk_announcements_created_by_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index('ix_announcements_due', ['status', 'scheduled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index('ix_announcements_due')
    op.drop_table('announcements')

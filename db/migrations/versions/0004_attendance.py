"""attendance: tables for issue 5 (attendance, wrong-code throttling, audit log).

Revision ID: 0004
Revises: 0003

The chain of revisions is fixed in advance so features can be built side by side;
a revision whose feature adds no table yet stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_attendance_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["learning_sessions.id"],
            name=op.f("fk_attendance_session_id_learning_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint(
            "person_id", "session_id", name=op.f("uq_attendance_person_id_session_id")
        ),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_session_id", ["session_id"], unique=False)
        batch_op.create_index("ix_attendance_reported_at", ["reported_at"], unique=False)

    op.create_table(
        "attendance_code_failures",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_attendance_code_failures_person_id_people"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_attendance_code_failures")),
    )

    op.create_table(
        "attendance_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_audit")),
    )
    with op.batch_alter_table("attendance_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_audit_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attendance_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_audit_at"))
    op.drop_table("attendance_audit")
    op.drop_table("attendance_code_failures")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_reported_at")
        batch_op.drop_index("ix_attendance_session_id")
    op.drop_table("attendance")

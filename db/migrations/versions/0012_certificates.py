"""certificates: tables for issue 16 (evaluation, quiz, certificates).

Revision ID: 0012
Revises: 0011

Sessions get `evaluation` (the calendar's evaluasi) and `proof` (bukti); evaluations,
the micro-quiz's questions, answers and review cards; certificates with their yearly
counters (the lock that keeps numbers gap-free) and the people/sessions to look at again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_VALID = "revoked_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("learning_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluation", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("proof", sa.String(length=6), nullable=True))
    _certificates()
    _learning()


def _certificates() -> None:
    op.create_table(
        "certificate_checks",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "ref_id", name=op.f("pk_certificate_checks")),
    )
    op.create_table(
        "certificate_counters",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_certificate_counters")),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("holder_name", sa.String(length=120), nullable=True),
        sa.Column("holder_nip", sa.String(length=18), nullable=True),
        sa.Column("holder_instansi", sa.String(length=160), nullable=True),
        sa.Column("programme", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("jp", sa.Numeric(precision=4, scale=2, asdecimal=False), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column("signer_name", sa.String(length=120), nullable=False),
        sa.Column("signer_position", sa.String(length=200), nullable=False),
        sa.Column("issued_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=200), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("holder_erased_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_certificates_person_id_people")),
        sa.ForeignKeyConstraint(["session_id"], ["learning_sessions.id"],
                                name=op.f("fk_certificates_session_id_learning_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
        sa.UniqueConstraint("year", "seq", name=op.f("uq_certificates_year_seq")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_person_id"), ["person_id"],
                              unique=False)
        batch_op.create_index("ix_certificates_session_id", ["session_id"], unique=False)
        # At most one valid certificate per person and session, whatever races.
        batch_op.create_index("ix_certificates_valid_person_session", ["person_id", "session_id"],
                              unique=True, sqlite_where=sa.text(_VALID),
                              postgresql_where=sa.text(_VALID))


def _learning() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("material", sa.SmallInteger(), nullable=True),
        sa.Column("speaker", sa.SmallInteger(), nullable=True),
        sa.Column("usefulness", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("started_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_evaluations_person_id_people")),
        sa.ForeignKeyConstraint(["session_id"], ["learning_sessions.id"],
                                name=op.f("fk_evaluations_session_id_learning_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("person_id", "session_id",
                            name=op.f("uq_evaluations_person_id_session_id")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_session_id", ["session_id"], unique=False)
    op.create_table(
        "quiz_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("answer", sa.SmallInteger(), nullable=False),
        sa.Column("explanation", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["learning_sessions.id"],
                                name=op.f("fk_quiz_questions_session_id_learning_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_questions")),
        sa.UniqueConstraint("session_id", "position",
                            name=op.f("uq_quiz_questions_session_id_position")),
    )
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("choice", sa.SmallInteger(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_quiz_answers_person_id_people")),
        sa.ForeignKeyConstraint(["question_id"], ["quiz_questions.id"],
                                name=op.f("fk_quiz_answers_question_id_quiz_questions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_answers")),
        sa.UniqueConstraint("person_id", "question_id", "attempt",
                            name=op.f("uq_quiz_answers_person_id_question_id_attempt")),
    )
    with op.batch_alter_table("quiz_answers", schema=None) as batch_op:
        batch_op.create_index("ix_quiz_answers_question_id", ["question_id"], unique=False)
    op.create_table(
        "quiz_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("updated_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_quiz_reviews_person_id_people"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["quiz_questions.id"],
                                name=op.f("fk_quiz_reviews_question_id_quiz_questions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_reviews")),
        sa.UniqueConstraint("person_id", "question_id",
                            name=op.f("uq_quiz_reviews_person_id_question_id")),
    )
    with op.batch_alter_table("quiz_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_quiz_reviews_due", ["status", "due_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quiz_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_quiz_reviews_due")
    op.drop_table("quiz_reviews")
    with op.batch_alter_table("quiz_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_quiz_answers_question_id")
    op.drop_table("quiz_answers")
    op.drop_table("quiz_questions")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_session_id")
    op.drop_table("evaluations")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_valid_person_session")
        batch_op.drop_index("ix_certificates_session_id")
        batch_op.drop_index(batch_op.f("ix_certificates_person_id"))
    op.drop_table("certificates")
    op.drop_table("certificate_counters")
    op.drop_table("certificate_checks")
    with op.batch_alter_table("learning_sessions", schema=None) as batch_op:
        batch_op.drop_column("proof")
        batch_op.drop_column("evaluation")

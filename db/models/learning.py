"""After a session: evaluations, the micro-quiz's questions and answers, and review cards."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["Evaluation", "QuizAnswer", "QuizQuestion", "QuizReview"]


class Evaluation(Base):
    """A person's evaluation of a session: three 1-5 ratings and an optional comment.

    Filled a tap at a time; `completed_at` is set once the three ratings are in.
    """

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("person_id", "session_id"),
        Index("ix_evaluations_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("learning_sessions.id"))
    material: Mapped[int | None] = mapped_column(SmallInteger)
    speaker: Mapped[int | None] = mapped_column(SmallInteger)
    usefulness: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuizQuestion(Base):
    """One multiple-choice question of a session's micro-quiz (at most three)."""

    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("learning_sessions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)  # 1, 2, 3
    text: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column(JSON)  # 2 to 4 choices, A to D
    answer: Mapped[int] = mapped_column(SmallInteger)  # index into options
    explanation: Mapped[str] = mapped_column(String(300), default="")


class QuizAnswer(Base):
    """A person's answer to one question in one attempt (1, or 2 for the retry)."""

    __tablename__ = "quiz_answers"
    __table_args__ = (
        UniqueConstraint("person_id", "question_id", "attempt"),
        Index("ix_quiz_answers_question_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(SmallInteger)
    choice: Mapped[int] = mapped_column(SmallInteger)
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QuizReview(Base):
    """A question a person got wrong, asked again 1, 3 and 7 days later until answered right
    at the last step."""

    __tablename__ = "quiz_reviews"
    __table_args__ = (
        UniqueConstraint("person_id", "question_id"),
        Index("ix_quiz_reviews_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(SmallInteger, default=0)  # index into REVIEW_DAYS
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="due")  # due, done
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

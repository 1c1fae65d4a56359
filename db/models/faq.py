"""The FAQ kept in the database, what people asked it, and questions filed to the agency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["FaqEntryRow", "FaqLookup", "Question", "QuestionAsker", "QuestionNotice"]


class FaqEntryRow(Base):
    """One FAQ entry (the YAML format of `handlers.faq_entries`, one row per entry)."""

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # order in the file, kept on export
    question: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    phrasings: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FaqLookup(Base):
    """A free-text message the FAQ was asked, what it answered, and the person's 👍/👎."""

    __tablename__ = "faq_lookups"
    __table_args__ = (
        Index("ix_faq_lookups_kind_created", "kind", "created_at"),
        Index("ix_faq_lookups_entry_helpful", "entry_id", "helpful"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(8))  # single, several, none
    # The entry shown: the single match, or the candidate the person picked.
    entry_id: Mapped[str | None] = mapped_column(String(32))
    candidates: Mapped[str | None] = mapped_column(String(120))  # ids offered, comma-separated
    score: Mapped[float] = mapped_column(Float, default=0.0)
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the person sent the message on to the agency.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Question(Base):
    """A question filed to the agency ("ASN Bertanya, BPSDM Menjawab"); its id is its number.

    People who ask the same thing while it is open join it (`QuestionAsker`), so one
    answer reaches all of them.
    """

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), index=True)  # normalised words, for grouping
    text: Mapped[str] = mapped_column(String(1000))  # the first asker's wording
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, answered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)  # plain text as the admin typed it
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(80))  # channel:account of the admin
    faq_entry_id: Mapped[str | None] = mapped_column(String(32))  # set once made an FAQ entry


class QuestionAsker(Base):
    """One person who asked a question, in their own words, and whether they got the answer."""

    __tablename__ = "question_askers"
    __table_args__ = (
        UniqueConstraint("question_id", "person_id"),
        Index("ix_question_askers_person_asked", "person_id", "asked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(1000))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuestionNotice(Base):
    """The message that told one admin about a question, so a reply to it answers it.

    The platform's id of that message is known once the outbox has delivered it
    (`outbox.platform_message_id`); `message_id` holds it when it is known directly.
    """

    __tablename__ = "question_notices"
    __table_args__ = (Index("ix_question_notices_chat", "channel", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""E-certificates: one row per certificate issued, the yearly number counters, and the
people and sessions whose certificates must be looked at again."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["Certificate", "CertificateCheck", "CertificateCounter"]


class Certificate(Base):
    """A certificate: its number, its unguessable code and what it says (a snapshot).

    The PDF is never stored: it is rendered from this row when it is sent or asked for.
    At most one valid certificate per person and session (a partial unique index); a
    corrected one is revoked and replaced by a new row with a new number. After the holder
    erased their data the holder_* columns are emptied and `holder_erased_at` is set: the
    verification page then says "valid, holder's data erased".
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_certificates_valid_person_session", "person_id", "session_id", unique=True,
              sqlite_where="revoked_at IS NULL", postgresql_where="revoked_at IS NULL"),
        Index("ix_certificates_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)  # of the session's date
    seq: Mapped[int] = mapped_column(Integer)  # gap-free within the year
    number: Mapped[str] = mapped_column(String(32), unique=True)  # DN/2026/000123
    code: Mapped[str] = mapped_column(String(24), unique=True)  # in the verification URL
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("learning_sessions.id"))
    holder_name: Mapped[str | None] = mapped_column(String(120))
    holder_nip: Mapped[str | None] = mapped_column(String(18))
    holder_instansi: Mapped[str | None] = mapped_column(String(160))
    programme: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    jp: Mapped[float] = mapped_column(Numeric(4, 2, asdecimal=False))
    organiser: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_position: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)
    holder_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CertificateCounter(Base):
    """The last number given in a year; its row is the lock that keeps numbers gap-free."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CertificateCheck(Base):
    """A person (NIP added, name changed, attendance corrected, evaluation done) or a session
    (title, date or JP changed) whose certificates the next sweep looks at again."""

    __tablename__ = "certificate_checks"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # person, session
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""What operations keep about the data itself: the log of erasures (for restores)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime

__all__ = ["Erasure"]


class Erasure(Base):
    """That a subject's personal data was erased, and when.

    Written in the transaction of the erasure itself. A restored backup may predate an
    erasure: `dahar-ngopi restore` re-applies every erasure the backup does not hold,
    so a restore never brings back someone who erased their data.
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(40), unique=True)  # "person:123"
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

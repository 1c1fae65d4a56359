"""The erasure log: who erased their data and when, kept so that restores re-apply it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.operations import Erasure

__all__ = ["log_erasure", "logged_erasures", "parse_subjects", "person_subject"]

log = logging.getLogger(__name__)

_SUBJECT = re.compile(r"\bperson:(\d{1,18})\b")


def person_subject(person_id: int) -> str:
    """How the log names a person: `person:<id>` (never a name or a NIP)."""
    return f"person:{person_id}"


def parse_subjects(lines: Iterable[str]) -> dict[str, None]:
    """Every `person:<id>` in `lines`, in order, once (lines of the bot's own log work)."""
    found: dict[str, None] = {}
    for line in lines:
        for match in _SUBJECT.finditer(line):
            found[person_subject(int(match.group(1)))] = None
    return found


async def log_erasure(db: AsyncSession, subject: str, now: datetime) -> None:
    """Record an erasure in the caller's transaction (once per subject).

    The log line is the last resort when the database itself is lost: a restore can be
    given these lines (`dahar-ngopi restore FILE --erasures LOGFILE`).
    """
    if await db.scalar(select(Erasure.id).where(Erasure.subject == subject)) is None:
        db.add(Erasure(subject=subject, erased_at=now))
        await db.flush()
    log.info("erasure logged: %s", subject)


async def logged_erasures(db: AsyncSession) -> dict[str, datetime]:
    """Every logged erasure: subject → when."""
    rows = await db.execute(select(Erasure.subject, Erasure.erased_at).order_by(Erasure.id))
    return {subject: when for subject, when in rows.all()}

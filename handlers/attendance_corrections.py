"""Corrections of a person's attendance by an admin, with a reason, written to the audit log:
the chat's /koreksi and the konsol both correct through `correct_attendance`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.attendance import Recorded, add_correction, remove_attendance, write_audit
from db.models import LearningSession, Person

__all__ = ["MIN_REASON", "Correction", "correct_attendance"]

MIN_REASON = 5  # characters: a reason an auditor can read later


@dataclass(frozen=True)
class Correction:
    """What a correction did: `changed` False when there was nothing to do; `record` is the
    attendance added, the one already there, or the one removed (None: none to remove)."""

    changed: bool
    record: Recorded | None


async def correct_attendance(
    db: AsyncSession, *, add: bool, person: Person, session: LearningSession, reason: str,
    actor: str, now: datetime,
) -> Correction:
    """Add or remove `person`'s attendance of `session` and audit it (people are named
    `person:<id>` in the audit log, never by NIP or name)."""
    if add:
        found: Recorded | None = await add_correction(
            db, person_id=person.id, session_id=session.id, now=now)
        assert found is not None
        if not found.created:
            return Correction(False, found)
        action = "correction_add"
    else:
        found = await remove_attendance(db, person_id=person.id, session_id=session.id)
        if found is None:
            return Correction(False, None)
        action = "correction_remove"
    await write_audit(db, at=now, actor=actor, action=action,
                      detail=f"person:{person.id}, sesi {session.id} {session.code}: {reason}",
                      rows=1)
    return Correction(True, found)

"""Corrections of a person's attendance by an admin, with a reason, written to the audit log:
the chat's /koreksi and the konsol both correct through `correct_attendance`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.attendance import Recorded, add_correction, remove_attendance, write_audit
from db.certificates import request_check, valid_certificate
from db.models import LearningSession, Person
from schedules.certificates import revoke_and_tell

__all__ = ["MIN_REASON", "Correction", "correct_attendance"]

MIN_REASON = 5  # characters: a reason an auditor can read later


@dataclass(frozen=True)
class Correction:
    """What a correction did: `changed` False when there was nothing to do; `record` is the
    attendance added, the one already there, or the one removed (None: none to remove)."""

    changed: bool
    record: Recorded | None
    revoked: str | None = None  # the number of the certificate the removal revoked


async def correct_attendance(
    db: AsyncSession, *, add: bool, person: Person, session: LearningSession, reason: str,
    actor: str, now: datetime, channels: Collection[str],
) -> Correction:
    """Add or remove `person`'s attendance of `session` and audit it (people are named
    `person:<id>` in the audit log, never by NIP or name). An added attendance gets its
    certificate within a minute; a removed one revokes it, and the holder (on `channels`)
    is told."""
    revoked: str | None = None
    if add:
        found: Recorded | None = await add_correction(
            db, person_id=person.id, session_id=session.id, now=now)
        assert found is not None
        if not found.created:
            return Correction(False, found)
        # Its certificate (a session with JP that ended) follows within a minute.
        await request_check(db, "person", person.id, now)
        action = "correction_add"
    else:
        found = await remove_attendance(db, person_id=person.id, session_id=session.id)
        if found is None:
            return Correction(False, None)
        cert = await valid_certificate(db, person.id, session.id)
        if cert is not None:
            await revoke_and_tell(db, cert, reason="kehadiran dihapus melalui koreksi",
                                  channels=channels, now=now)
            revoked = cert.number
        action = "correction_remove"
    await write_audit(db, at=now, actor=actor, action=action,
                      detail=f"person:{person.id}, sesi {session.id} {session.code}: {reason}",
                      rows=1)
    return Correction(True, found, revoked)

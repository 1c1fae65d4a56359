"""One-time codes that link a person's Telegram and WhatsApp accounts (repository)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Identity, LinkAttempt, LinkCode

__all__ = [
    "CODE_TTL",
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "find_code",
    "hash_code",
    "identities_of",
    "issue_code",
    "note_failure",
    "recent_failures",
]

CODE_TTL = timedelta(minutes=10)
# Six digits are a million codes: a few guesses an hour per account keep guessing hopeless.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)


def hash_code(code: str) -> str:
    """What is stored instead of the code."""
    return hashlib.sha256(f"dahar-ngopi-link:{code}".encode()).hexdigest()


async def issue_code(s: AsyncSession, person_id: int, channel: str, now: datetime) -> str:
    """A fresh six-digit code for `person_id`, shown on `channel`; earlier ones stop working."""
    await s.execute(delete(LinkCode).where(LinkCode.expires_at < now))
    await s.execute(delete(LinkCode).where(LinkCode.person_id == person_id))
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        digest = hash_code(code)
        if await s.scalar(select(LinkCode.id).where(LinkCode.code_hash == digest)) is None:
            break
    s.add(LinkCode(code_hash=digest, person_id=person_id, channel=channel, created_at=now,
                   expires_at=now + CODE_TTL))
    await s.flush()
    return code


async def find_code(s: AsyncSession, code: str, now: datetime) -> LinkCode | None:
    """The unexpired code row for a typed code."""
    found: LinkCode | None = await s.scalar(
        select(LinkCode).where(LinkCode.code_hash == hash_code(code), LinkCode.expires_at >= now)
    )
    return found


async def recent_failures(s: AsyncSession, identity_id: int, now: datetime) -> int:
    """Wrong codes typed from this account within the current window."""
    row = await s.get(LinkAttempt, identity_id)
    if row is None or now - row.window_start >= FAILURE_WINDOW:
        return 0
    return row.failures


async def note_failure(s: AsyncSession, identity_id: int, now: datetime) -> int:
    """Count one wrong code; return the count in the current window."""
    row = await s.get(LinkAttempt, identity_id)
    if row is None:
        row = LinkAttempt(identity_id=identity_id, failures=0, window_start=now)
        s.add(row)
    elif now - row.window_start >= FAILURE_WINDOW:
        row.failures, row.window_start = 0, now
    row.failures += 1
    await s.flush()
    return row.failures


async def identities_of(s: AsyncSession, person_id: int) -> list[Identity]:
    """A person's channel accounts, oldest first."""
    rows = await s.execute(
        select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
    )
    return list(rows.scalars())

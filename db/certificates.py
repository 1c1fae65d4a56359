"""Certificate queries: issuing under the year's counter lock (gap-free numbers, one valid
certificate per person and session), revoking, looking up, forgetting a holder, and the rows
of the SIASN export.

Repositories never commit; every function works in the caller's unit of work.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Certificate,
    CertificateCheck,
    CertificateCounter,
    Evaluation,
    LearningSession,
    OutboxMessage,
    Person,
    Programme,
)

__all__ = [
    "Candidate",
    "Issuer",
    "SiasnRow",
    "by_code",
    "cancel_deliveries",
    "candidates",
    "count_valid",
    "forget_holder",
    "issue",
    "new_code",
    "person_certificates",
    "request_check",
    "revoke",
    "revoke_for_attendance",
    "stale_certificates",
    "stream_siasn_rows",
    "take_checks",
    "valid_certificate",
]


def new_code() -> str:
    """An unguessable code for the verification URL: 80 random bits, 16 base32 letters."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


def _insert(db: AsyncSession, table: Any) -> Any:
    name = db.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"certificates need SQLite or PostgreSQL, not {name}")


# --- who is due a certificate --------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An attendance of a session with JP by a person who has a NIP and no valid certificate
    for it yet (`evaluated`: the person completed the session's evaluation)."""

    person_id: int
    session_id: int
    name: str | None
    nip: str
    instansi: str | None
    evaluated: bool


def _valid_exists() -> Any:
    return exists(select(Certificate.id).where(
        Certificate.person_id == Attendance.person_id,
        Certificate.session_id == Attendance.session_id,
        Certificate.revoked_at.is_(None),
    ))


async def candidates(
    db: AsyncSession, *, session_id: int | None = None, person_id: int | None = None,
    ended_before: datetime, after_person: int = 0, limit: int = 500,
) -> list[Candidate]:
    """Attendances (of one session, or of one person) of active sessions with JP that ended
    before `ended_before`, whose person has a NIP, without a valid certificate; by session
    and person, from person ids above `after_person` (to page through a session)."""
    evaluated = exists(select(Evaluation.id).where(
        Evaluation.person_id == Attendance.person_id,
        Evaluation.session_id == Attendance.session_id,
        Evaluation.completed_at.is_not(None),
    ))
    query = (
        select(Attendance.person_id, Attendance.session_id, Person.full_name, Person.nip,
               Person.instansi, evaluated)
        .join(Person, Person.id == Attendance.person_id)
        .join(LearningSession, LearningSession.id == Attendance.session_id)
        .where(
            Person.nip.is_not(None), Person.erased_at.is_(None),
            LearningSession.jp > 0, LearningSession.status == "aktif",
            LearningSession.ends_at <= ended_before, ~_valid_exists(),
            Attendance.person_id > after_person,
        )
        .order_by(Attendance.session_id, Attendance.person_id)
        .limit(limit)
    )
    if session_id is not None:
        query = query.where(Attendance.session_id == session_id)
    if person_id is not None:
        query = query.where(Attendance.person_id == person_id)
    return [Candidate(p, s, name, str(nip), inst, bool(ev))
            for p, s, name, nip, inst, ev in (await db.execute(query)).all()]


# --- issuing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """Who issues: printed on every certificate (from the settings)."""

    organiser: str
    signer_name: str
    signer_position: str
    prefix: str = "DN"


async def _lock_year(db: AsyncSession, year: int) -> int:
    """Take the year's counter row under a lock held until the transaction ends; return the
    last number given. PostgreSQL: a row lock (SELECT ... FOR UPDATE), so issuers of the same
    year queue while others go on. SQLite: the INSERT is a write, and SQLite has one writer."""
    await db.execute(
        _insert(db, CertificateCounter).values(year=year, last=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    last = await db.scalar(
        select(CertificateCounter.last).where(CertificateCounter.year == year).with_for_update()
    )
    assert last is not None
    return int(last)


async def issue(
    db: AsyncSession, wanted: Sequence[tuple[int, int]], *, issuer: Issuer, now: datetime,
) -> list[Certificate]:
    """Issue a certificate for each (person, session) that has none valid; return the new ones.

    Under the counter lock of each year, the pairs are checked again (another process may
    have issued some meanwhile), numbered without gaps and inserted; a rollback returns the
    numbers with everything else. Only pairs with attendance, a NIP and a name are issued.
    """
    if not wanted:
        return []
    sessions = {s.id: s for s in await db.scalars(
        select(LearningSession).where(LearningSession.id.in_({sid for _, sid in wanted})))}
    names = dict((await db.execute(select(Programme.key, Programme.name))).all())
    by_year: dict[int, list[tuple[int, int]]] = {}
    for pid, sid in sorted(set(wanted)):
        if sid in sessions:
            by_year.setdefault(sessions[sid].day.year, []).append((pid, sid))
    issued: list[Certificate] = []
    for year, pairs in sorted(by_year.items()):
        last = await _lock_year(db, year)
        for person, sid in await _still_due(db, pairs):
            last += 1
            s = sessions[sid]
            cert = Certificate(
                year=year, seq=last, number=f"{issuer.prefix}/{year}/{last:06d}",
                code=new_code(), person_id=person.id, session_id=sid,
                holder_name=person.full_name, holder_nip=person.nip,
                holder_instansi=person.instansi, programme=names.get(s.programme_key, ""),
                title=s.title, day=s.day, jp=float(s.jp or 0), organiser=issuer.organiser,
                signer_name=issuer.signer_name, signer_position=issuer.signer_position,
                issued_at=now,
            )
            db.add(cert)
            issued.append(cert)
        await db.execute(update(CertificateCounter).where(CertificateCounter.year == year)
                         .values(last=last))
    await db.flush()
    return issued


async def _still_due(
    db: AsyncSession, pairs: list[tuple[int, int]]
) -> list[tuple[Person, int]]:
    """Of (person, session) pairs, those with attendance, a NIP and a name, and no valid
    certificate, as read now (under the lock)."""
    people = {p.id: p for p in await db.scalars(
        select(Person).where(Person.id.in_({p for p, _ in pairs}))
        .execution_options(populate_existing=True))}
    attended = set((await db.execute(
        select(Attendance.person_id, Attendance.session_id).where(
            Attendance.person_id.in_(people), Attendance.session_id.in_({s for _, s in pairs}))
    )).all())
    have = set((await db.execute(
        select(Certificate.person_id, Certificate.session_id).where(
            Certificate.person_id.in_(people), Certificate.revoked_at.is_(None),
            Certificate.session_id.in_({s for _, s in pairs}))
    )).all())
    out = []
    for pid, sid in pairs:
        person = people.get(pid)
        if (person is None or not person.nip or not person.full_name or person.erased_at
                or (pid, sid) not in attended or (pid, sid) in have):
            continue
        out.append((person, sid))
    return out


# --- revoking ------------------------------------------------------------------------------


async def cancel_deliveries(db: AsyncSession, certificate_ids: Iterable[int]) -> int:
    """Cancel the pending outbox rows that would send these certificates."""
    ids = sorted(set(certificate_ids))
    if not ids:
        return 0
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref_type == "certificate", OutboxMessage.ref_id.in_(ids),
               OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="certificate revoked")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def revoke(db: AsyncSession, cert: Certificate, *, reason: str, now: datetime) -> None:
    """Revoke a certificate (the verification page then says so) and stop its delivery."""
    if cert.revoked_at is None:
        cert.revoked_at = now
        cert.revoke_reason = reason[:200]
        await db.flush()
        await cancel_deliveries(db, [cert.id])


async def valid_certificate(
    db: AsyncSession, person_id: int, session_id: int
) -> Certificate | None:
    """The person's valid certificate for a session, if any."""
    return await db.scalar(select(Certificate).where(
        Certificate.person_id == person_id, Certificate.session_id == session_id,
        Certificate.revoked_at.is_(None)))


async def revoke_for_attendance(
    db: AsyncSession, person_id: int, session_id: int, *, reason: str, now: datetime
) -> Certificate | None:
    """Revoke the certificate of an attendance that a correction removed (None: had none)."""
    cert = await valid_certificate(db, person_id, session_id)
    if cert is not None:
        await revoke(db, cert, reason=reason, now=now)
    return cert


async def stale_certificates(
    db: AsyncSession, *, person_id: int | None = None, session_id: int | None = None
) -> list[tuple[Certificate, str]]:
    """Valid certificates whose snapshot no longer matches (name or NIP of the holder; title,
    date or JP of the session) or whose attendance is gone, with the reason."""
    query = (
        select(Certificate, Person.full_name, Person.nip, Person.erased_at, LearningSession,
               Attendance.id)
        .join(Person, Person.id == Certificate.person_id)
        .join(LearningSession, LearningSession.id == Certificate.session_id)
        .outerjoin(Attendance, and_(Attendance.person_id == Certificate.person_id,
                                    Attendance.session_id == Certificate.session_id))
        .where(Certificate.revoked_at.is_(None))
    )
    if person_id is not None:
        query = query.where(Certificate.person_id == person_id)
    if session_id is not None:
        query = query.where(Certificate.session_id == session_id)
    out: list[tuple[Certificate, str]] = []
    for cert, name, nip, erased, s, attendance in (await db.execute(query)).all():
        if attendance is None:
            out.append((cert, "kehadiran dihapus"))
        elif erased is None and (name != cert.holder_name or nip != cert.holder_nip):
            out.append((cert, "data peserta diubah"))
        elif (s.title != cert.title or s.day != cert.day
              or round(float(s.jp or 0), 2) != round(float(cert.jp), 2)):
            out.append((cert, "data sesi diubah"))
    return out


# --- checks --------------------------------------------------------------------------------


async def request_check(db: AsyncSession, scope: str, ref_id: int, now: datetime) -> None:
    """Ask the next sweep to look at a person's or a session's certificates again."""
    await db.execute(
        _insert(db, CertificateCheck).values(scope=scope, ref_id=ref_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["scope", "ref_id"])
    )


async def take_checks(db: AsyncSession, limit: int = 200) -> list[tuple[str, int]]:
    """Remove and return the oldest checks (a rollback puts them back)."""
    rows = [(str(scope), int(ref_id)) for scope, ref_id in (await db.execute(
        select(CertificateCheck.scope, CertificateCheck.ref_id)
        .order_by(CertificateCheck.created_at).limit(limit)
    )).all()]
    for scope, ref_id in rows:
        await db.execute(delete(CertificateCheck).where(
            CertificateCheck.scope == scope, CertificateCheck.ref_id == ref_id))
    return rows


# --- reading -------------------------------------------------------------------------------


async def by_code(db: AsyncSession, code: str) -> Certificate | None:
    """The certificate with this verification code (any state)."""
    return await db.scalar(select(Certificate).where(Certificate.code == code.upper()))


async def person_certificates(db: AsyncSession, person_id: int) -> list[Certificate]:
    """A person's certificates, valid ones first, newest session first."""
    return list(await db.scalars(
        select(Certificate).where(Certificate.person_id == person_id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.day.desc(),
                  Certificate.id.desc())
    ))


async def forget_holder(db: AsyncSession, person_id: int, now: datetime) -> int:
    """Erasure: empty the holder's name, NIP and instansi on every certificate of the person.

    The certificates stay (a verification page still answers "valid, holder's data erased"
    with the session, date and JP); nothing on them points to the person any more except the
    anonymous person row. Returns how many certificates were touched.
    """
    result = await db.execute(
        update(Certificate).where(Certificate.person_id == person_id)
        .values(holder_name=None, holder_nip=None, holder_instansi=None, holder_erased_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the SIASN export ----------------------------------------------------------------------


@dataclass(frozen=True)
class SiasnRow:
    """One attended session with JP of a person with a NIP (a SIASN course record)."""

    nip: str
    name: str | None
    title: str
    programme: str
    day: date
    jp: float
    number: str | None  # the valid certificate's number, when issued


async def stream_siasn_rows(
    db: AsyncSession, year: int, *, batch: int = 2000
) -> AsyncIterator[list[SiasnRow]]:
    """Every attendance in `year` of a session with JP by a person with a NIP, by NIP and
    date, in batches (never all in memory)."""
    valid = and_(Certificate.person_id == Attendance.person_id,
                 Certificate.session_id == Attendance.session_id,
                 Certificate.revoked_at.is_(None))
    query = (
        select(Person.nip, Person.full_name, LearningSession.title, Programme.name,
               LearningSession.day, LearningSession.jp, Certificate.number)
        .select_from(Attendance)
        .join(Person, Person.id == Attendance.person_id)
        .join(LearningSession, LearningSession.id == Attendance.session_id)
        .join(Programme, Programme.key == LearningSession.programme_key)
        .outerjoin(Certificate, valid)
        .where(Person.nip.is_not(None), LearningSession.jp > 0,
               LearningSession.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(Person.nip, LearningSession.day, LearningSession.starts_at)
    )
    result = await db.stream(query.execution_options(yield_per=batch))
    async for part in result.partitions():
        yield [SiasnRow(str(nip), name, title, prog, day, float(jp or 0), number)
               for nip, name, title, prog, day, jp, number in part]


async def count_valid(db: AsyncSession, session_id: int) -> int:
    """How many valid certificates a session has."""
    return int(await db.scalar(select(func.count(Certificate.id)).where(
        Certificate.session_id == session_id, Certificate.revoked_at.is_(None))) or 0)

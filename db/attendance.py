"""Attendance queries: recording exactly once, windows, codes, summaries, corrections, audit.

Repositories never commit; every function works in the caller's unit of work.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    AuditEntry,
    CodeFailure,
    Identity,
    LearningSession,
    Person,
    Programme,
)
from db.models.attendance import SOURCE_CORRECTION, SOURCE_SELF

__all__ = [
    "JP_TARGET",
    "MAX_WRONG_CODES",
    "WRONG_CODE_WINDOW",
    "AttendedSession",
    "Breakdown",
    "ExportRow",
    "JpRow",
    "Presser",
    "Recorded",
    "SessionCount",
    "Window",
    "add_correction",
    "attendance_window",
    "code_blocked_until",
    "code_matches",
    "counts_between",
    "existing_attendance",
    "existing_many",
    "export_sessions",
    "forget_wrong_codes",
    "note_wrong_code",
    "open_candidates",
    "person_year",
    "pressers",
    "recent_audit",
    "record_attendance",
    "record_many",
    "remove_attendance",
    "session_breakdown",
    "sessions_by_id",
    "sessions_with_attendance",
    "stream_export_rows",
    "stream_jp_rows",
    "touch_identities",
    "upcoming_sessions",
    "write_audit",
]

JP_TARGET = 20  # PP 17/2020: at least 20 JP of competency development a year
MAX_WRONG_CODES = 5  # wrong attendance codes allowed per window before a pause
WRONG_CODE_WINDOW = timedelta(minutes=15)


# --- windows and codes ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """When attendance for a session is accepted: from `opens` through the minute `closes`."""

    opens: datetime
    closes: datetime

    def contains(self, now: datetime) -> bool:
        """Whether `now` is inside (the closing minute counts: 23:59:30 is still 23:59)."""
        return self.opens <= now < self.closes + timedelta(minutes=1)


def attendance_window(s: LearningSession, tz: ZoneInfo, close: time) -> Window:
    """The session's window: its start until its own closing time, or `close` of its day."""
    closes = s.attendance_closes_at or datetime.combine(s.day, close, tzinfo=tz).astimezone(UTC)
    return Window(s.starts_at, max(closes, s.starts_at))


def code_matches(expected: str | None, given: str) -> bool:
    """Compare attendance codes ignoring case and spaces, in constant time."""
    if not expected:
        return False
    a = "".join(expected.split()).upper().encode()
    b = "".join(given.split()).upper().encode()
    return hmac.compare_digest(a, b)


async def open_candidates(db: AsyncSession, now: datetime, tz: ZoneInfo) -> list[LearningSession]:
    """Active sessions of yesterday and today (agency dates), earliest first.

    Yesterday is included because a session's own closing time may run past midnight;
    callers filter with `attendance_window`.
    """
    today = now.astimezone(tz).date()
    query = (
        select(LearningSession)
        .where(
            LearningSession.day.between(today - timedelta(days=1), today),
            LearningSession.status == "aktif",
        )
        .order_by(LearningSession.starts_at, LearningSession.id)
    )
    return list(await db.scalars(query))


async def code_blocked_until(db: AsyncSession, person_id: int, now: datetime) -> datetime | None:
    """Until when this person may not try another code (None: they may)."""
    row = await db.get(CodeFailure, person_id)
    if row is None or row.failures < MAX_WRONG_CODES:
        return None
    until = row.window_start + WRONG_CODE_WINDOW
    return until if now < until else None


async def note_wrong_code(db: AsyncSession, person_id: int, now: datetime) -> int:
    """Count a wrong code; return how many tries are left in the current window."""
    row = await db.get(CodeFailure, person_id)
    if row is None:
        row = CodeFailure(person_id=person_id, failures=0, window_start=now)
        db.add(row)
    elif now >= row.window_start + WRONG_CODE_WINDOW:
        row.failures, row.window_start = 0, now
    row.failures += 1
    await db.flush()
    return max(MAX_WRONG_CODES - row.failures, 0)


async def forget_wrong_codes(db: AsyncSession, person_id: int) -> None:
    """A right code clears the count."""
    await db.execute(delete(CodeFailure).where(CodeFailure.person_id == person_id))


# --- recording ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """The outcome of a confirmation: a new row, or the time of the one already there."""

    created: bool
    reported_at: datetime
    channel: str


def _insert(db: AsyncSession) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING."""
    name = db.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(Attendance)
    if name == "sqlite":
        return sqlite.insert(Attendance)
    raise NotImplementedError(f"attendance needs SQLite or PostgreSQL, not {name}")


async def existing_attendance(
    db: AsyncSession, person_id: int, session_id: int
) -> Recorded | None:
    """The person's attendance row for a session, if any."""
    row = (
        await db.execute(
            select(Attendance.reported_at, Attendance.channel).where(
                Attendance.person_id == person_id, Attendance.session_id == session_id
            )
        )
    ).first()
    return Recorded(False, row[0], row[1]) if row else None


async def record_attendance(
    db: AsyncSession,
    *,
    person_id: int,
    session_id: int,
    now: datetime,
    channel: str,
    source: str = SOURCE_SELF,
) -> Recorded:
    """Record that a person attended a session, exactly once.

    The database decides (unique person+session, INSERT ... ON CONFLICT DO NOTHING), so two
    presses racing in two processes still make one row; the loser gets the winner's time.
    """
    stmt = (
        _insert(db)
        .values(person_id=person_id, session_id=session_id, reported_at=now, channel=channel,
                source=source)
        .on_conflict_do_nothing(index_elements=["person_id", "session_id"])
        .returning(Attendance.id)
    )
    new_id = (await db.execute(stmt)).scalar_one_or_none()
    if new_id is not None:
        return Recorded(True, now, channel)
    found = await existing_attendance(db, person_id, session_id)
    assert found is not None  # the conflicting row exists in this transaction's view
    return found


@dataclass(frozen=True)
class Presser:
    """The person behind a channel account, as a button press needs them."""

    identity_id: int
    person_id: int
    registered: bool
    nip: str | None
    full_name: str | None
    tz: str


async def pressers(
    db: AsyncSession, channel: str, external_ids: Iterable[str]
) -> dict[str, Presser]:
    """The people behind many accounts of one channel, in one query (by external id)."""
    ids = sorted(set(external_ids))
    if not ids:
        return {}
    rows = await db.execute(
        select(Identity.external_id, Identity.id, Person.id, Person.registered_at, Person.nip,
               Person.full_name, Person.tz)
        .join(Person, Person.id == Identity.person_id)
        .where(Identity.channel == channel, Identity.external_id.in_(ids))
    )
    return {
        ext: Presser(iid, pid, registered is not None, nip, name, tz or "WIB")
        for ext, iid, pid, registered, nip, name, tz in rows.all()
    }


async def record_many(
    db: AsyncSession, pairs: Iterable[tuple[int, int]], *, now: datetime, channel: str
) -> dict[tuple[int, int], Recorded]:
    """Record many (person, session) confirmations in one INSERT; return each pair's outcome
    (created now, or the time it was recorded before)."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    # One statement executed with many parameter sets: SQLAlchemy sends it as few
    # multi-row INSERTs ("insertmanyvalues") and gathers RETURNING, compiled once and cached.
    stmt = (
        _insert(db)
        .on_conflict_do_nothing(index_elements=["person_id", "session_id"])
        .returning(Attendance.person_id, Attendance.session_id)
    )
    params = [
        {"person_id": p, "session_id": sid, "reported_at": now, "channel": channel,
         "source": SOURCE_SELF}
        for p, sid in wanted
    ]
    created = {(p, sid) for p, sid in (await db.execute(stmt, params)).all()}
    out = {pair: Recorded(True, now, channel) for pair in created}
    out.update(await existing_many(db, [pair for pair in wanted if pair not in created]))
    return out


async def existing_many(
    db: AsyncSession, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], Recorded]:
    """The attendance rows of many (person, session) pairs that have one, in one query."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    query = select(Attendance.person_id, Attendance.session_id, Attendance.reported_at,
                   Attendance.channel).where(
        tuple_(Attendance.person_id, Attendance.session_id).in_(wanted))
    return {(p, sid): Recorded(False, at, ch) for p, sid, at, ch in (await db.execute(query)).all()}


async def sessions_by_id(db: AsyncSession, ids: Iterable[int]) -> dict[int, LearningSession]:
    """Sessions by id, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(LearningSession).where(LearningSession.id.in_(wanted))
    return {ls.id: ls for ls in await db.scalars(query)}


async def touch_identities(db: AsyncSession, identity_ids: Iterable[int], now: datetime) -> None:
    """Note that these accounts just wrote (for WhatsApp's 24-hour window)."""
    ids = sorted(set(identity_ids))
    if ids:
        await db.execute(update(Identity).where(Identity.id.in_(ids)).values(last_inbound_at=now))


async def sessions_with_attendance(db: AsyncSession, session_ids: Iterable[int]) -> set[int]:
    """Those of `session_ids` that have at least one attendance row (for calendar imports)."""
    ids = sorted(set(session_ids))
    if not ids:
        return set()
    query = select(Attendance.session_id).where(Attendance.session_id.in_(ids)).distinct()
    return set(await db.scalars(query))


# --- a person's record ----------------------------------------------------------------


@dataclass(frozen=True)
class AttendedSession:
    """One session a person attended."""

    session: LearningSession
    programme_name: str
    reported_at: datetime


async def person_year(db: AsyncSession, person_id: int, year: int) -> list[AttendedSession]:
    """The sessions a person attended in a calendar year, by date."""
    query = (
        select(LearningSession, Programme.name, Attendance.reported_at)
        .join(Attendance, Attendance.session_id == LearningSession.id)
        .join(Programme, Programme.key == LearningSession.programme_key)
        .where(
            Attendance.person_id == person_id,
            LearningSession.day.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .order_by(LearningSession.day, LearningSession.starts_at)
    )
    return [AttendedSession(ls, name, at) for ls, name, at in (await db.execute(query)).all()]


async def upcoming_sessions(
    db: AsyncSession, now: datetime, until_day: date
) -> list[LearningSession]:
    """Active sessions that have not started yet, up to `until_day` included."""
    query = (
        select(LearningSession)
        .where(
            LearningSession.starts_at > now,
            LearningSession.day <= until_day,
            LearningSession.status == "aktif",
        )
        .order_by(LearningSession.starts_at, LearningSession.id)
    )
    return list(await db.scalars(query))


# --- statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionCount:
    """Attendance of one session."""

    session_id: int
    code: str
    day: date
    programme_key: str
    title: str
    jp: float
    count: int
    credited: int  # of which by people with a NIP


async def counts_between(db: AsyncSession, first: date, last: date) -> list[SessionCount]:
    """Attendance per session for sessions from `first` to `last` (active, or with rows)."""
    credited = func.sum(case((Person.nip.is_not(None), 1), else_=0))
    query = (
        select(
            LearningSession.id, LearningSession.code, LearningSession.day,
            LearningSession.programme_key, LearningSession.title, LearningSession.jp,
            func.count(Attendance.id), credited,
        )
        .select_from(LearningSession)
        .outerjoin(Attendance, Attendance.session_id == LearningSession.id)
        .outerjoin(Person, Person.id == Attendance.person_id)
        .where(LearningSession.day.between(first, last))
        .group_by(LearningSession.id)
        .having((LearningSession.status == "aktif") | (func.count(Attendance.id) > 0))
        .order_by(LearningSession.day, LearningSession.starts_at, LearningSession.id)
    )
    return [
        SessionCount(i, c, d, p, t, float(jp or 0), int(n), int(cr or 0))
        for i, c, d, p, t, jp, n, cr in (await db.execute(query)).all()
    ]


@dataclass(frozen=True)
class Breakdown:
    """Attendance of one session by kabupaten/kota, instansi and channel."""

    total: int
    credited: int
    by_region: list[tuple[str | None, int]]
    by_instansi: list[tuple[str | None, int]]
    by_channel: list[tuple[str, int]]


async def session_breakdown(db: AsyncSession, session_id: int, top: int = 15) -> Breakdown:
    """Counts for one session; region codes and instansi as stored (None when unknown)."""
    base = (
        select(func.count(Attendance.id), func.sum(case((Person.nip.is_not(None), 1), else_=0)))
        .select_from(Attendance)
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.session_id == session_id)
    )
    total, credited = (await db.execute(base)).one()

    async def grouped(col: Any, limit: int | None) -> list[tuple[Any, int]]:
        n = func.count(Attendance.id)
        query = (
            select(col, n)
            .select_from(Attendance)
            .join(Person, Person.id == Attendance.person_id)
            .where(Attendance.session_id == session_id)
            .group_by(col)
            .order_by(n.desc(), col)
        )
        if limit is not None:
            query = query.limit(limit)
        return [(k, int(v)) for k, v in (await db.execute(query)).all()]

    return Breakdown(
        total=int(total or 0),
        credited=int(credited or 0),
        by_region=await grouped(Person.region_code, top),
        by_instansi=await grouped(Person.instansi, top),
        by_channel=await grouped(Attendance.channel, None),
    )


# --- exports --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    """One attendance, as exported (identity fields None when the person erased them)."""

    nip: str | None
    name: str | None
    instansi: str | None
    region_code: str | None
    day: date
    programme: str
    title: str
    session_code: str
    reported_at: datetime
    channel: str
    source: str
    jp: float  # the session's JP when credited (the person has a NIP), else 0


async def export_sessions(
    db: AsyncSession, first: date, last: date, *, by_programme: bool
) -> list[tuple[int, str]]:
    """(session id, programme name) of sessions from `first` to `last` that have attendance,
    by programme then date when `by_programme`, else by date."""
    has_rows = select(Attendance.id).where(Attendance.session_id == LearningSession.id).exists()
    order: list[Any] = [LearningSession.day, LearningSession.starts_at, LearningSession.id]
    if by_programme:
        order = [Programme.weekday, *order]
    query = (
        select(LearningSession.id, Programme.name)
        .join(Programme, Programme.key == LearningSession.programme_key)
        .where(LearningSession.day.between(first, last), has_rows)
        .order_by(*order)
    )
    return [(i, n) for i, n in (await db.execute(query)).all()]


def _export_query(session_id: int) -> Select[Any]:
    columns: list[Any] = [
        Person.nip, Person.full_name, Person.instansi, Person.region_code,
        LearningSession.day, Programme.name, LearningSession.title, LearningSession.code,
        Attendance.reported_at, Attendance.channel, Attendance.source, LearningSession.jp,
    ]
    return (
        select(*columns)
        .select_from(Attendance)
        .join(Person, Person.id == Attendance.person_id)
        .join(LearningSession, LearningSession.id == Attendance.session_id)
        .join(Programme, Programme.key == LearningSession.programme_key)
        .where(Attendance.session_id == session_id)
        .order_by(Attendance.id)
    )


async def stream_export_rows(
    db: AsyncSession, session_ids: Iterable[int], *, batch: int = 2000
) -> AsyncIterator[list[ExportRow]]:
    """The attendance of the sessions, in their order, in batches (never all in memory)."""
    for session_id in session_ids:
        result = await db.stream(_export_query(session_id).execution_options(yield_per=batch))
        async for part in result.partitions():
            yield [
                ExportRow(
                    nip, name, inst, region, day, prog, title, code, at, ch, src,
                    float(jp or 0) if nip else 0.0,
                )
                for nip, name, inst, region, day, prog, title, code, at, ch, src, jp in part
            ]


@dataclass(frozen=True)
class JpRow:
    """A person's JP for a year (only people with a NIP are credited)."""

    nip: str
    name: str | None
    instansi: str | None
    region_code: str | None
    jp: float
    sessions: int


async def stream_jp_rows(
    db: AsyncSession, year: int, *, batch: int = 2000
) -> AsyncIterator[list[JpRow]]:
    """Per person with a NIP: total JP and sessions attended in `year`, by NIP."""
    query = (
        select(
            Person.nip, Person.full_name, Person.instansi, Person.region_code,
            func.sum(LearningSession.jp), func.count(Attendance.id),
        )
        .select_from(Attendance)
        .join(Person, Person.id == Attendance.person_id)
        .join(LearningSession, LearningSession.id == Attendance.session_id)
        .where(
            Person.nip.is_not(None),
            LearningSession.day.between(date(year, 1, 1), date(year, 12, 31)),
        )
        .group_by(Person.id, Person.nip, Person.full_name, Person.instansi, Person.region_code)
        .order_by(Person.nip)
    )
    result = await db.stream(query.execution_options(yield_per=batch))
    async for part in result.partitions():
        yield [
            JpRow(str(nip), name, inst, region, float(jp or 0), int(n))
            for nip, name, inst, region, jp, n in part
        ]


# --- corrections and audit ------------------------------------------------------------


async def add_correction(
    db: AsyncSession, *, person_id: int, session_id: int, now: datetime
) -> Recorded:
    """Add attendance on an admin's word (the caller writes the audit entry)."""
    return await record_attendance(
        db, person_id=person_id, session_id=session_id, now=now, channel="admin",
        source=SOURCE_CORRECTION,
    )


async def remove_attendance(
    db: AsyncSession, *, person_id: int, session_id: int
) -> Recorded | None:
    """Delete a person's attendance of a session; return what was removed (or None)."""
    found = await existing_attendance(db, person_id, session_id)
    if found is not None:
        await db.execute(
            delete(Attendance).where(
                Attendance.person_id == person_id, Attendance.session_id == session_id
            )
        )
    return found


async def write_audit(
    db: AsyncSession, *, at: datetime, actor: str, action: str, detail: str, rows: int
) -> None:
    """Append an audit entry (who, when, what, how many rows)."""
    db.add(AuditEntry(at=at, actor=actor[:80], action=action, detail=detail, rows=rows))
    await db.flush()


async def recent_audit(db: AsyncSession, limit: int = 20) -> list[AuditEntry]:
    """The latest audit entries, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(await db.scalars(query))

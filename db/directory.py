"""The konsol's lists of people and what they did: search, a profile (with certificates), a
session's attendees, JP per person for a year (each a query for `db.paging.page_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Certificate,
    Identity,
    LearningSession,
    Person,
    Programme,
    Question,
    QuestionAsker,
)
from db.paging import AnySelect

__all__ = [
    "YearJp",
    "attendees_query",
    "counts_of",
    "first_session_year",
    "identities_of",
    "jp_of",
    "jp_people_query",
    "people_query",
    "person_attendance_query",
    "person_certificates_query",
    "person_questions_query",
    "sessions_query",
]


def people_query(text: str = "") -> AnySelect:
    """People with a name (not erased), by name; `text` matches a NIP's start, or a part of
    the name or instansi (case-insensitive)."""
    query = select(Person).where(Person.erased_at.is_(None), Person.full_name.is_not(None))
    text = " ".join(text.split())
    if text.isdigit():
        query = query.where(Person.nip.startswith(text, autoescape=True))
    elif text:
        needle = text.lower()
        query = query.where(
            func.lower(Person.full_name).contains(needle, autoescape=True)
            | func.lower(Person.instansi).contains(needle, autoescape=True)
        )
    return query.order_by(Person.full_name, Person.id)


async def identities_of(db: AsyncSession, person_id: int) -> list[Identity]:
    """A person's chat accounts."""
    query = select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
    return list(await db.scalars(query))


def person_attendance_query(person_id: int) -> AnySelect:
    """(session, programme name, reported at, channel, source) of a person, latest first."""
    return (
        select(LearningSession, Programme.name, Attendance.reported_at, Attendance.channel,
               Attendance.source)
        .join(Attendance, Attendance.session_id == LearningSession.id)
        .join(Programme, Programme.key == LearningSession.programme_key)
        .where(Attendance.person_id == person_id)
        .order_by(LearningSession.day.desc(), LearningSession.starts_at.desc())
    )


def person_certificates_query(person_id: int) -> AnySelect:
    """A person's certificates, valid ones first, newest session first."""
    return (
        select(Certificate).where(Certificate.person_id == person_id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.day.desc(),
                  Certificate.id.desc())
    )


def person_questions_query(person_id: int) -> AnySelect:
    """(question, the person's wording, asked at) of a person, latest first."""
    return (
        select(Question, QuestionAsker.text, QuestionAsker.asked_at)
        .join(QuestionAsker, QuestionAsker.question_id == Question.id)
        .where(QuestionAsker.person_id == person_id)
        .order_by(QuestionAsker.asked_at.desc(), QuestionAsker.id.desc())
    )


@dataclass(frozen=True)
class YearJp:
    """A person's credited JP and sessions in a year."""

    jp: float = 0.0
    sessions: int = 0


async def jp_of(db: AsyncSession, person_ids: list[int], year: int) -> dict[int, YearJp]:
    """JP and sessions attended in `year` of each of `person_ids` (one page of people)."""
    if not person_ids:
        return {}
    query = (
        select(Attendance.person_id, func.sum(LearningSession.jp), func.count(Attendance.id))
        .join(LearningSession, LearningSession.id == Attendance.session_id)
        .where(Attendance.person_id.in_(person_ids),
               LearningSession.day.between(date(year, 1, 1), date(year, 12, 31)))
        .group_by(Attendance.person_id)
    )
    return {pid: YearJp(float(jp or 0), int(n)) for pid, jp, n in (await db.execute(query)).all()}


def jp_people_query() -> AnySelect:
    """People credited with JP (a NIP), by NIP; their JP comes from `jp_of` per page, so a
    page never aggregates the whole year's attendance."""
    return (
        select(Person.id, Person.nip, Person.full_name, Person.instansi, Person.region_code)
        .where(Person.nip.is_not(None), Person.erased_at.is_(None))
        .order_by(Person.nip)
    )


def attendees_query(session_id: int) -> AnySelect:
    """Who attended a session: (person id, name, NIP, instansi, region, reported at,
    channel, source), in the order they confirmed."""
    return (
        select(Person.id, Person.full_name, Person.nip, Person.instansi, Person.region_code,
               Attendance.reported_at, Attendance.channel, Attendance.source)
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.session_id == session_id)
        .order_by(Attendance.id)
    )


def sessions_query(first: date, last: date) -> AnySelect:
    """Sessions from `first` to `last`, by date and start (their attendance: `counts_of`)."""
    return (
        select(LearningSession).where(LearningSession.day.between(first, last))
        .order_by(LearningSession.day, LearningSession.starts_at, LearningSession.id)
    )


async def counts_of(db: AsyncSession, session_ids: list[int]) -> dict[int, int]:
    """Attendance of each of a page of sessions (counted on the session index alone)."""
    if not session_ids:
        return {}
    query = (
        select(Attendance.session_id, func.count())
        .where(Attendance.session_id.in_(session_ids)).group_by(Attendance.session_id)
    )
    return {sid: int(n) for sid, n in (await db.execute(query)).all()}


async def first_session_year(db: AsyncSession) -> int | None:
    """The year of the earliest session in the calendar (None when it is empty)."""
    first = await db.scalar(select(func.min(LearningSession.day)))
    return first.year if first is not None else None

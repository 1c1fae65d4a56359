"""Helpers for the attendance tests: sessions and people put straight into the database, and a
person-like driver of the core dispatcher on any channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.runtime import Runtime
from core.types import Incoming, Reply
from db.engine import Sessions
from db.models import Attendance, Identity, LearningSession, Person
from handlers.attendance import AttendPress
from schedules.calendar import ensure_programmes

WIB = ZoneInfo("Asia/Jakarta")
MONDAY = date(2026, 11, 23)
OWNER = "9001"  # ADMIN_TELEGRAM_IDS in tests/conftest.py


def wib(day: date, hh: int, mm: int = 0) -> datetime:
    """An aware instant at hh:mm WIB on `day`."""
    return datetime.combine(day, time(hh, mm), WIB).astimezone(UTC)


async def add_session(
    sessions: Sessions,
    *,
    code: str,
    day: date = MONDAY,
    start: tuple[int, int] = (9, 0),
    hours: float = 2,
    programme: str = "forum-berbagi-ilmu",
    title: str | None = None,
    jp: float = 2,
    attendance_code: str | None = None,
    closes_at: datetime | None = None,
    recording_url: str | None = None,
    status: str = "aktif",
    evaluation: str | None = None,
    proof: str | None = None,
) -> int:
    """Put a session on the calendar; return its id."""
    starts = wib(day, *start)
    async with sessions() as s, s.begin():
        await ensure_programmes(s)
        row = LearningSession(
            code=code, day=day, programme_key=programme, title=title or f"Sesi {code}",
            speaker="Narasumber Uji", starts_at=starts, ends_at=starts + timedelta(hours=hours),
            zoom_url="https://zoom.us/j/81234567890", youtube_url=None,
            recording_url=recording_url, jp=jp, attendance_code=attendance_code,
            attendance_closes_at=closes_at, status=status, updated_at=starts,
            evaluation=evaluation, proof=proof,
        )
        s.add(row)
        await s.flush()
        return row.id


async def add_person(
    sessions: Sessions,
    user_id: str,
    *,
    nip: str | None = None,
    name: str = "Siti Aminah",
    instansi: str = "Dinas Pendidikan Kab. Sidoarjo",
    region: str = "3515",
    channel: str = "telegram",
    tz: str = "WIB",
    preferences: dict[str, object] | None = None,
) -> int:
    """A registered person with one identity; return the person id."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    async with sessions() as s, s.begin():
        person = Person(
            full_name=name, nip=nip, instansi=instansi, region_code=region, tz=tz,
            consent_at=now, registered_at=now, subscribed=True, reachable=True,
            preferred_channel=channel, preferences=dict(preferences or {}), created_at=now,
        )
        s.add(person)
        await s.flush()
        s.add(Identity(person_id=person.id, channel=channel, external_id=user_id,
                       chat_id=user_id, created_at=now))
        return person.id


async def attendance_rows(sessions: Sessions) -> list[tuple[int, int, datetime, str, str]]:
    """Every attendance row: (person, session, reported_at, channel, source)."""
    async with sessions() as s:
        rows = await s.execute(
            select(Attendance.person_id, Attendance.session_id, Attendance.reported_at,
                   Attendance.channel, Attendance.source).order_by(Attendance.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def attendance_count(sessions: Sessions) -> int:
    """How many attendance rows exist."""
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Attendance)) or 0)


@dataclass
class Chat:
    """Someone talking to the core dispatcher on one channel."""

    rt: Runtime
    user_id: str
    channel: str = "telegram"

    async def say(self, text: str) -> list[Reply]:
        """Send a text (a command or a typed answer)."""
        inc = Incoming(self.channel, self.user_id, self.user_id, text=text)  # type: ignore[arg-type]
        return await self.rt.dispatcher.handle(inc)

    async def press(self, data: str) -> list[Reply]:
        """Press a button whose (signed) data is `data`."""
        inc = Incoming(self.channel, self.user_id, self.user_id,  # type: ignore[arg-type]
                       callback=data, callback_id="q1")
        return await self.rt.dispatcher.handle(inc)

    async def person_id(self) -> int:
        """The person behind this account."""
        async with self.rt.sessions() as s:
            pid = await s.scalar(select(Identity.person_id).where(
                Identity.channel == self.channel, Identity.external_id == self.user_id))
        assert pid is not None
        return pid

    async def button_for(self, session_id: int) -> str:
        """The "Saya hadir" data the prompt carries for this person."""
        return self.rt.deps.signer.sign(str(await self.person_id()), AttendPress(session_id).pack())


def text_of(replies: list[Reply]) -> str:
    """All texts and notices of some replies, one string."""
    parts = []
    for r in replies:
        if r.notice:
            parts.append(f"[{r.notice}]")
        if r.text:
            parts.append(r.text)
    return "\n".join(parts)

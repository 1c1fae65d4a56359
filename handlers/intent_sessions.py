"""Answer a question about sessions from the calendar: the facts, in the person's own zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.programme import by_key
from core.text import esc, jp_text
from core.timezones import format_date, format_time
from db.models import LearningSession
from handlers.faq_normalize import normalize
from handlers.intent_dates import When
from handlers.intent_parse import Intent
from schedules.calendar_lookup import (
    last_ended,
    next_open,
    sessions_after,
    sessions_before,
    sessions_in,
)
from schedules.holidays import holiday_on

__all__ = ["Found", "find_sessions", "session_answer"]

# More sessions than this in one answer are cut short (a month of sessions is /jadwal's job).
MAX_LISTED = 10
# From this many sessions on, cards leave out the links unless links were asked.
COMPACT_FROM = 4
_LINK_FIELDS = {"link", "zoom", "youtube", "recording"}
# Programme words that say the programme, not a kind of session ("senam" is most of
# ASN Sehat dan Bugar; "yoga" is one session).
GENERIC_HINTS = frozenset({"senam", "sehat", "bugar", "olahraga", "kaji", "belajar", "forum",
                           "ilmu"})


@dataclass
class Found:
    """What the calendar says to a question: the sessions, or why none and the nearest."""

    sessions: list[LearningSession] = field(default_factory=list)
    nearest: LearningSession | None = None
    reason: str = ""  # why no active session matched (said before the nearest one)
    more: int = 0  # sessions left out of a long list

    @property
    def active(self) -> list[LearningSession]:
        """The sessions that take place."""
        return [s for s in self.sessions if s.status == "aktif"]


def _title_words(s: LearningSession) -> set[str]:
    return set(normalize(s.title).split())


def _by_hints(pool: list[LearningSession], intent: Intent) -> list[LearningSession]:
    """A programme word as typed picks by title: "yoga" among all the programme's sessions,
    a generic one ("senam") only among the sessions of the first day (Friday's senam, not
    Friday's yoga), never a session weeks later over the one that comes first."""
    specific = set(intent.hints) - GENERIC_HINTS
    if specific:
        return [s for s in pool if specific & _title_words(s)] or pool
    if intent.hints and pool:
        first_day = [s for s in pool if s.day == pool[0].day]
        hit = [s for s in first_day if set(intent.hints) & _title_words(s)]
        return hit + [s for s in pool if s not in first_day] if hit else pool
    return pool


def _narrow(pool: list[LearningSession], intent: Intent) -> list[LearningSession] | None:
    """Keep the sessions whose title has the words asked ("yoga", "jalan sehat"); None when,
    with no day named, unexplained words name no session (the message is about something
    else). With a day named the question is about that day's sessions whatever the words."""
    if intent.when is not None and intent.when.named:
        return _soft(pool, intent)
    if intent.unexplained:
        hit = [s for s in pool if set(intent.unexplained) <= _title_words(s)]
        return hit or None
    return _by_hints(pool, intent)


def _soft(pool: list[LearningSession], intent: Intent) -> list[LearningSession]:
    words = set(intent.unexplained)
    hit = [s for s in pool if words and words <= _title_words(s)]
    return hit or _by_hints(pool, intent)


async def _nearest(
    db: AsyncSession, when: When, intent: Intent, backward: bool
) -> LearningSession | None:
    assert when.start is not None and when.end is not None
    after = _soft(await sessions_after(db, when.end, intent.programme), intent)
    before = _soft(await sessions_before(db, when.start, intent.programme), intent)
    for group in (before, after) if backward else (after, before):
        if group:
            return group[0]
    return None


async def _why_none(db: AsyncSession, when: When, intent: Intent,
                    cancelled: Sequence[LearningSession]) -> str:
    what = f"sesi {by_key(intent.programme).name}" if intent.programme else "sesi"
    head = f"Tidak ada {what} {_period(when)}"
    if cancelled:
        titles = "; ".join(f"<b>{esc(s.title)}</b> ({format_date(s.day)})" for s in cancelled)
        return f"{head}: sesi {titles} <b>dibatalkan</b>."
    if when.one_day and when.start is not None:
        holiday = await holiday_on(db, when.start)
        if holiday:
            return f"{head}: libur, {esc(holiday)}."
        if when.start.weekday() >= 5:
            return f"{head} (akhir pekan)."
    return head + "."


def _period(when: When) -> str:
    """"besok (Rabu, 25 November 2026)", "pada Kamis, 26 November 2026", "minggu depan"."""
    if when.label[:1].isupper():
        return f"pada {when.label}"
    if when.one_day and when.start is not None:
        return f"{when.label} ({format_date(when.start)})"
    return when.label


async def _named(db: AsyncSession, intent: Intent, when: When, today: date,
                 backward: bool) -> Found | None:
    assert when.start is not None and when.end is not None
    first = when.start
    if not when.one_day and not when.past and (when.end - when.start).days > 7:
        first = max(first, today)  # "bulan ini": what is still coming
    pool = _narrow(await sessions_in(db, first, when.end, intent.programme), intent)
    if pool is None:
        return None
    if any(s.status == "aktif" for s in pool):
        listed = pool[:MAX_LISTED]
        return Found(listed, more=len(pool) - len(listed))
    if intent.unexplained and not pool:
        return None
    reason = await _why_none(db, when, intent, [s for s in pool if s.status != "aktif"])
    return Found(pool, await _nearest(db, when, intent, backward), reason)


async def find_sessions(
    db: AsyncSession, intent: Intent, now: datetime, today: date
) -> Found | None:
    """The sessions `intent` asks about (None: the words name no session after all)."""
    when = intent.when
    backward = intent.field == "recording" or bool(when and (when.past or when.last))
    if when is not None and when.named:
        return await _named(db, intent, when, today, backward)
    if backward:
        pool = await last_ended(db, now, intent.programme)
    else:
        pool = await next_open(db, now, intent.programme)
    narrowed = _narrow(pool, intent)
    if narrowed is None:
        return None
    if not narrowed:
        return Found(reason="Belum ada sesi di jadwal.")
    many = 3 if intent.field == "schedule" and not backward else 1
    return Found(narrowed[:many])


# --- the answer's text -------------------------------------------------------------------


def _subject(intent: Intent) -> str:
    what = by_key(intent.programme).name if intent.programme else "sesi"
    when = intent.when
    if when is not None and when.named:
        return f"{what} — {when.label}" if when.label[:1].isupper() else f"{what} {when.label}"
    if (when is not None and when.last) or intent.field == "recording":
        return f"{what} terakhir"
    return f"{what} berikutnya"


_LEADS = {
    "link": "🔗 Tautan {s}", "zoom": "🔗 Tautan Zoom {s}", "youtube": "▶️ Tautan YouTube {s}",
    "time": "🕘 Waktu {s}", "end": "🕘 Waktu {s}", "speaker": "🎤 Narasumber {s}",
    "title": "📚 Tema {s}", "schedule": "📅 Jadwal {s}", "jp": "🎓 JP {s}",
    "recording": "📼 Rekaman {s}", "code": "📅 {s}",
}


def _card(s: LearningSession, tz: str, now: datetime, intent: Intent, compact: bool) -> str:
    prog = by_key(s.programme_key)
    lines = [f"📅 <b>{format_date(s.day)}</b> · {prog.emoji} {esc(prog.name)}"]
    if s.status != "aktif":
        lines.append("❌ <b>Dibatalkan</b>")
    lines.append(f"<b>{esc(s.title)}</b>")
    if s.speaker:
        lines.append(f"🎤 {esc(s.speaker)}")
    start, end = format_time(s.starts_at, tz), format_time(s.ends_at, tz)
    lines.append(f"🕘 {start.rsplit(' ', 1)[0]}–{end}" + (f" · {jp_text(s.jp)} JP" if s.jp else ""))
    if s.status != "aktif" or (compact and intent.field not in _LINK_FIELDS):
        return "\n".join(lines)
    if s.ends_at > now:
        if s.zoom_url:
            lines.append(f"🔗 Zoom: {esc(s.zoom_url)}")
        elif intent.field == "zoom":
            lines.append("🔗 Sesi ini tidak memakai Zoom; ikuti lewat YouTube.")
        if s.youtube_url:
            lines.append(f"▶️ YouTube: {esc(s.youtube_url)}")
        if intent.field == "recording":
            lines.append("📼 Rekaman: belum tersedia (sesi belum berlangsung).")
    elif s.recording_url:
        lines.append(f"📼 Rekaman: {esc(s.recording_url)}")
    else:
        lines.append("📼 Rekaman: belum tersedia.")
    return "\n".join(lines)


def session_answer(intent: Intent, found: Found, tz: str, now: datetime, hadir: str) -> str:
    """The text of the answer: a lead, then a card per session (or why none, and the
    nearest one). `hadir` is how the person types the attendance command."""
    compact = len(found.sessions) >= COMPACT_FROM
    parts: list[str] = []
    if intent.field == "code":
        parts.append(
            "🔑 Kode presensi <b>tidak dibagikan lewat chat</b>: kode diumumkan saat sesi "
            f"berlangsung. Setelah mendengarnya, ketik <code>{hadir} KODE</code>."
        )
    if found.active:
        lead = _LEADS[intent.field].format(s=_subject(intent))
        if intent.field not in ("code",):
            parts.append(f"{lead} (waktu {tz}):")
        programmes = {s.programme_key for s in found.active}
        if intent.field == "schedule" and len(programmes) == 1:
            # "senin acaranya apa": what the programme is, then its session.
            parts.append(f"<i>{esc(by_key(programmes.pop()).description)}</i>")
        parts += [_card(s, tz, now, intent, compact) for s in found.sessions]
        if found.more:
            parts.append(f"… dan {found.more} sesi lainnya. Lihat jadwal lengkap dengan /jadwal.")
        return "\n\n".join(parts)
    parts.append(found.reason or "Tidak ada sesi yang cocok di jadwal.")
    cancelled = [s for s in found.sessions if s.status != "aktif"]
    if found.nearest is not None:
        what = by_key(intent.programme).name if intent.programme else ""
        parts.append(f"Sesi {what} terdekat (waktu {tz}):".replace("  ", " "))
        parts.append(_card(found.nearest, tz, now, intent, False))
    elif cancelled:
        parts += [_card(s, tz, now, intent, False) for s in cancelled]
    return "\n\n".join(parts)


def weeks_from(today: date, day: date) -> int:
    """0 for a day of this week, 1 for next week, -1 for last week…"""
    monday = today - timedelta(days=today.weekday())
    return (day - monday).days // 7

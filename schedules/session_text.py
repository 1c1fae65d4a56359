"""How a day's programme and its sessions are written for a person (menu, schedule, nudges)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.programme import Programme, by_key
from core.text import esc
from core.timezones import format_date, format_time
from db.models import LearningSession

__all__ = ["describe_day", "describe_session"]


def _jp(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def describe_session(s: LearningSession, tz_label: str, *, links: bool = True) -> str:
    """Title, speaker, time in the person's zone, JP and links of one session."""
    start, end = format_time(s.starts_at, tz_label), format_time(s.ends_at, tz_label)
    lines = [f"<b>{esc(s.title)}</b>"]
    if s.speaker:
        lines.append(f"🎤 {esc(s.speaker)}")
    lines.append(f"🕘 {start.rsplit(' ', 1)[0]}–{end}" + (f" · {_jp(s.jp)} JP" if s.jp else ""))
    if links:
        if s.zoom_url:
            lines.append(f'🔗 <a href="{esc(s.zoom_url)}">Zoom Meeting</a>')
        if s.youtube_url:
            lines.append(f'▶️ <a href="{esc(s.youtube_url)}">YouTube BPSDM Jatim</a>')
        if s.recording_url:
            lines.append(f'📼 <a href="{esc(s.recording_url)}">Rekaman</a>')
    return "\n".join(lines)


def describe_day(
    day: date,
    programme: Programme | None,
    sessions: Sequence[LearningSession],
    tz_label: str,
    *,
    holiday: str | None = None,
    links: bool = True,
) -> str:
    """A day's heading, programme and sessions (or why there are none)."""
    head = f"📅 <b>{format_date(day)}</b>"
    if holiday:
        return f"{head}\n🏖 Libur: {esc(holiday)} — tidak ada sesi."
    if programme is None:
        if not sessions:
            return f"{head}\nAkhir pekan — tidak ada sesi."
        # A session put on a weekend (a special event) is shown with its programme.
        return "\n\n".join([f"{head}\nSesi akhir pekan:"] + [
            f"{by_key(s.programme_key).emoji} {esc(by_key(s.programme_key).name)}\n"
            + describe_session(s, tz_label, links=links)
            for s in sessions
        ])
    title = f"{programme.emoji} <b>{esc(programme.name)}</b>"
    parts = [f"{head}\n{title}\n{esc(programme.description)}"]
    if sessions:
        parts += [describe_session(s, tz_label, links=links) for s in sessions]
    else:
        parts.append("<i>Belum ada sesi terjadwal untuk hari ini.</i>")
    return "\n\n".join(parts)

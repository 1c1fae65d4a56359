"""The words of scheduled messages: the morning menu, session reminders, change notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from core.programme import Programme
from core.text import esc
from core.timezones import format_date, format_time, zone
from core.types import Button, Reply, TemplateRef
from db.models import LearningSession
from schedules.session_text import describe_day

__all__ = [
    "menu_template",
    "reminder_template",
    "render_change_notice",
    "render_morning_menu",
    "render_reminder",
]

_MOTTO = "<i>Tiada Hari Tanpa Pengembangan Kompetensi.</i>"
_SETTINGS_HINT = "Atur menu pagi dan pengingat: /pengingat"


def _link_buttons(s: LearningSession) -> tuple[tuple[Button, ...], ...]:
    row: list[Button] = []
    if s.zoom_url:
        row.append(Button("🔗 Gabung Zoom", url=s.zoom_url))
    if s.youtube_url:
        row.append(Button("▶️ YouTube", url=s.youtube_url))
    return (tuple(row),) if row else ()


def render_morning_menu(
    programme: Programme, sessions: Sequence[LearningSession], tz_label: str, day: date
) -> Reply:
    """The morning menu of `day` for people in zone `tz_label` (times shown in that zone)."""
    body = describe_day(day, programme, sessions, tz_label)
    text = (
        "☕ <b>Selamat pagi, Bapak/Ibu!</b>\nMenu Dahar Ngopi hari ini:\n\n"
        f"{body}\n\n{_MOTTO}\n{_SETTINGS_HINT}"
    )
    buttons = _link_buttons(sessions[0]) if len(sessions) == 1 else ()
    return Reply(text, buttons=buttons)


def menu_template(
    programme: Programme, sessions: Sequence[LearningSession], tz_label: str, day: date
) -> TemplateRef:
    """The template sent instead where free-form text is not allowed."""
    first = sessions[0] if sessions else None
    return TemplateRef("menu", (
        format_date(day),
        programme.name,
        first.title if first else "belum ada sesi terjadwal",
        format_time(first.starts_at, tz_label) if first else "-",
    ))


def render_reminder(s: LearningSession, tz_label: str, minutes: int) -> Reply:
    """'Starts in 30 minutes' with the time in the person's zone and the links."""
    when = format_time(s.starts_at, tz_label)
    lines = [
        f"⏰ <b>Pengingat:</b> sesi dimulai {minutes} menit lagi, pukul {when}.",
        "",
        f"<b>{esc(s.title)}</b>",
    ]
    if s.speaker:
        lines.append(f"🎤 {esc(s.speaker)}")
    if s.zoom_url:
        lines.append(f'🔗 <a href="{esc(s.zoom_url)}">Zoom Meeting</a>')
    if s.youtube_url:
        lines.append(f'▶️ <a href="{esc(s.youtube_url)}">YouTube BPSDM Jatim</a>')
    lines += ["", "Sampai jumpa di sesi, Bapak/Ibu!", _SETTINGS_HINT]
    return Reply("\n".join(lines), buttons=_link_buttons(s))


def reminder_template(s: LearningSession, tz_label: str, minutes: int) -> TemplateRef:
    """The reminder's template."""
    return TemplateRef("reminder", (s.title, format_time(s.starts_at, tz_label), str(minutes)))


def render_change_notice(
    s: LearningSession, tz_label: str, *, what: str, old_start: datetime | None = None
) -> Reply:
    """A short notice that a session someone was told about moved, changed link, or is off.

    `what` is 'moved', 'link' or 'cancelled'.
    """
    title = f"<b>{esc(s.title)}</b> ({format_date(s.day)})"
    if what == "cancelled":
        text = f"📢 <b>Perubahan jadwal:</b> sesi {title} <b>dibatalkan</b>. Mohon maaf."
        return Reply(text)
    if what == "moved":
        old = f" dari {format_time(old_start, tz_label)}" if old_start else ""
        text = (
            f"📢 <b>Perubahan jadwal:</b> sesi {title} dipindah{old} ke "
            f"{format_date(s.starts_at.astimezone(zone(tz_label)).date())} pukul "
            f"{format_time(s.starts_at, tz_label)}."
        )
    else:
        text = f"📢 <b>Tautan baru</b> untuk sesi {title}:"
    lines = [text]
    if s.zoom_url:
        lines.append(f'🔗 <a href="{esc(s.zoom_url)}">Zoom Meeting</a>')
    if s.youtube_url:
        lines.append(f'▶️ <a href="{esc(s.youtube_url)}">YouTube BPSDM Jatim</a>')
    return Reply("\n".join(lines), buttons=_link_buttons(s))

"""The attendance prompt sent after a session ends: its words, and its buttons signed per person.

The prompt goes to a whole audience through the outbox as one shared payload whose "Saya
hadir" button carries the unsigned payload; `sign_for` signs it for each recipient when it is
delivered, so a button pressed by anyone but the person it was sent to records nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from db.attendance import attendance_window
from db.models import LearningSession
from handlers.attendance import AttendPress, jp_text
from handlers.callbacks import Signer
from handlers.text import esc
from handlers.types import Button, Reply
from schedules.programme import by_key
from schedules.timezones import format_date, format_time, zone

__all__ = ["SIGN_META", "prompt_template", "render_prompt", "sign_for"]

SIGN_META = "sign_buttons"  # Reply.meta flag: sign button data for the recipient at delivery
HADIR = "✅ Saya hadir"


def render_prompt(
    s: LearningSession, tz_label: str, *, agency_tz: ZoneInfo, close: time
) -> Reply:
    """'Apakah Bapak/Ibu mengikuti …?' with the "Saya hadir" button (unsigned: see
    `sign_for`) and the recording when the calendar has one; times in `tz_label`."""
    window = attendance_window(s, agency_tz, close)
    closes_day = window.closes.astimezone(zone(tz_label)).date()
    until = format_time(window.closes, tz_label)
    if closes_day != s.day:
        until = f"{format_date(closes_day)} pukul {until}"
    start = format_time(s.starts_at, tz_label).rsplit(" ", 1)[0]
    lines = [
        f"🙋 <b>Apakah Bapak/Ibu mengikuti {esc(s.title)}?</b>",
        f"{esc(by_key(s.programme_key).name)} · {format_date(s.day)} · "
        f"{start}–{format_time(s.ends_at, tz_label)}",
        "",
        "Jika ya, tekan <b>Saya hadir</b> untuk mencatat kehadiran"
        + (f" ({jp_text(s.jp)} JP)." if s.jp else ".")
        + f" Presensi dibuka sampai {until}.",
    ]
    if s.attendance_code:
        lines.append("🔑 Siapkan <b>kode presensi</b> yang diumumkan saat sesi.")
    buttons: list[list[Button]] = [[Button(HADIR, AttendPress(s.id).pack())]]
    if s.recording_url:
        lines.append(f'📼 Belum sempat mengikuti? <a href="{esc(s.recording_url)}">Tonton '
                     "rekamannya</a>.")
        buttons.append([Button("📼 Rekaman", url=s.recording_url)])
    return Reply("\n".join(lines), buttons=buttons, meta={SIGN_META: True})


def prompt_template(s: LearningSession, tz_label: str) -> dict[str, Any]:
    """Parameters of the WhatsApp template sent instead outside the 24-hour window."""
    return {
        "name_setting": "attendance",
        "params": [s.title, format_date(s.day), format_time(s.starts_at, tz_label)],
    }


def sign_for(reply: Reply, signer: Signer, person_id: int | None) -> Reply:
    """The reply with its callback buttons signed for one recipient (if it asks for it)."""
    if not reply.meta.get(SIGN_META) or person_id is None:
        return reply
    owner = str(person_id)
    rows = tuple(
        tuple(b if b.url or not b.data else replace(b, data=signer.sign(owner, b.data))
              for b in row)
        for row in reply.buttons
    )
    meta = {k: v for k, v in reply.meta.items() if k != SIGN_META}
    return replace(reply, buttons=rows, meta=meta)

"""The attendance prompt after a session ends: its words, its planning into the outbox, and its
buttons signed per person.

The prompt goes to a whole audience through the outbox as one shared payload (per session
and zone) whose "Saya hadir" button carries the unsigned payload; `sign_for` signs it for
each recipient when it is delivered, so a button pressed by anyone but the person it was
sent to records nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from core.callbacks import CallbackData, Signer
from core.outbox import Ref
from core.programme import by_key
from core.text import esc, jp_text
from core.timezones import ZONES, format_date, format_time, zone
from core.types import Button, Reply, TemplateRef
from db.attendance import attendance_window
from db.engine import Sessions
from db.models import Attendance, LearningSession, Person
from schedules.audience import recipients
from schedules.nudges import (
    NudgeConfig,
    PlanOutcome,
    fill_plan,
    open_plan,
)

__all__ = [
    "AttendPress",
    "plan_due_prompts",
    "plan_session_prompts",
    "prompt_template",
    "render_prompt",
    "sign_for",
]

log = logging.getLogger(__name__)

HADIR = "✅ Saya hadir"


@dataclass(frozen=True)
class AttendPress(CallbackData):
    """ "Saya hadir" for one session (signed for the person it was sent to)."""

    prefix: ClassVar[str] = "att"
    session: int


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
    if s.proof == "kuis":
        lines.append("📝 Presensi sesi ini lewat <b>kuis singkat</b> (3 soal) setelah tombol "
                     "ditekan.")
    elif s.attendance_code and s.proof in (None, "kode"):
        lines.append("🔑 Siapkan <b>kode presensi</b> yang diumumkan saat sesi.")
    buttons: list[list[Button]] = [[Button(HADIR, AttendPress(s.id).pack())]]
    if s.recording_url:
        lines.append(f'📼 Belum sempat mengikuti? <a href="{esc(s.recording_url)}">Tonton '
                     "rekamannya</a>.")
        buttons.append([Button("📼 Rekaman", url=s.recording_url)])
    return Reply("\n".join(lines), buttons=buttons, sign_buttons=True)


def prompt_template(s: LearningSession) -> TemplateRef:
    """The WhatsApp template sent instead outside the 24-hour window (docs/whatsapp.md:
    `dahar_ngopi_presensi`, {{1}} = "programme: title", quick reply **Hadir** carrying the
    unsigned button data, signed per recipient by `sign_for` like the button)."""
    return TemplateRef("attendance", (f"{by_key(s.programme_key).name}: {s.title}",),
                       (AttendPress(s.id).pack(),))


def sign_for(reply: Reply, signer: Signer, person_id: int | None) -> Reply:
    """The reply with its callback buttons (and its WhatsApp template's quick replies)
    signed for one recipient, if it asks for it."""
    if not reply.sign_buttons or person_id is None:
        return reply
    owner = str(person_id)
    rows = tuple(
        tuple(b if b.url or not b.data else replace(b, data=signer.sign(owner, b.data))
              for b in row)
        for row in reply.buttons
    )
    template = reply.template
    if template is not None and template.quick_replies:
        template = replace(template, quick_replies=tuple(
            signer.sign(owner, q) for q in template.quick_replies))
    return replace(reply, buttons=rows, template=template, sign_buttons=False)


def _prompt_key(session: LearningSession, zone_label: str) -> str:
    return f"attendance:{session.id}:{int(session.ends_at.timestamp()) // 60}:{zone_label}"


async def plan_session_prompts(
    sessions: Sessions, config: NudgeConfig, *, session: LearningSession, now: datetime,
    agency_tz: ZoneInfo, close: time,
) -> list[PlanOutcome]:
    """Put the attendance prompt of one session into the outbox, one plan per zone (once).

    It goes to those who get reminders for the session's programme and have not confirmed
    yet; it waits until the session ends and is dropped once attendance closes. After
    downtime longer than CATCHUP_HOURS past the end it is recorded as missed instead.
    """
    window = attendance_window(session, agency_tz, close)
    if session.status != "aktif" or now >= window.closes:
        return []
    due = session.ends_at
    confirmed = exists(select(Attendance.id).where(
        Attendance.person_id == Person.id, Attendance.session_id == session.id))
    outcomes = []
    for zone_label in ZONES:
        key = _prompt_key(session, zone_label)
        plan = await open_plan(sessions, config, key=key, kind="attendance", day=session.day,
                               zone=zone_label, ref_id=session.id, due=due, now=now,
                               what=f"attendance prompt for session {session.id}")
        if isinstance(plan, PlanOutcome):
            outcomes.append(plan)
            continue
        reply = render_prompt(session, zone_label, agency_tz=agency_tz, close=close)
        reply = replace(reply, plan=key)
        added = await fill_plan(
            sessions, plan.id, reply, prompt_template(session),
            audience=recipients(config.channels, zone=zone_label, want="reminder",
                                programme_key=session.programme_key, extra=[~confirmed]),
            key_prefix=f"attendance:{session.id}:", kind="attendance", due=due,
            expires_at=window.closes, ref=Ref("session", session.id),
            batch_size=config.batch_size, now=now,
        )
        log.info("attendance prompts for session %d (%s): %d recipients at %s", session.id,
                 zone_label, added, due)
        outcomes.append(PlanOutcome(key, "planned", added, due))
    return outcomes


async def plan_due_prompts(
    sessions: Sessions, config: NudgeConfig, *, now: datetime, agency_tz: ZoneInfo,
    close: time,
) -> list[PlanOutcome]:
    """Plan the prompts of every active session ending within the lookahead, or that ended
    within CATCHUP_HOURS (a restart catches up; older ones are left alone)."""
    async with sessions() as db:
        ending = list(await db.scalars(
            select(LearningSession)
            .where(LearningSession.ends_at <= now + config.lookahead,
                   LearningSession.ends_at > now - config.catchup - timedelta(minutes=1),
                   LearningSession.status == "aktif")
            .order_by(LearningSession.ends_at, LearningSession.id)
        ))
    outcomes: list[PlanOutcome] = []
    for session in ending:
        outcomes += await plan_session_prompts(sessions, config, session=session, now=now,
                                               agency_tz=agency_tz, close=close)
    return outcomes

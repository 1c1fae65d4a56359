"""Questions answered from data before the FAQ: sessions from the live calendar, and the
person's own record (JP, attendance, profile, questions)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import MAX_INPUT
from core.timezones import local_today
from core.types import Button, Reply
from db.attendance import attendance_window
from db.models import FaqLookup, LearningSession
from handlers.intent_parse import Intent, parse_intent
from handlers.intent_personal import NOT_REGISTERED, PERSONAL
from handlers.intent_sessions import find_sessions, session_answer, weeks_from
from handlers.router import Context, Replies, Router, as_list

__all__ = ["Shortcut", "answer_intent", "router"]

log = logging.getLogger(__name__)

router = Router("intents")

STALE = "Tombol ini sudah tidak berlaku."
NEED_REGISTRATION = "Bapak/Ibu belum terdaftar. Ketik /mulai untuk mendaftar terlebih dahulu."


@dataclass(frozen=True)
class Shortcut(CallbackData):
    """A button under an answer that runs a command ("🗓 Jadwal", "📊 Rekap JP")."""

    prefix: ClassVar[str] = "go"
    command: str
    args: str = ""


def _open_now(ctx: Context, sessions: list[LearningSession], now: datetime) -> bool:
    config = ctx.deps.config
    return any(s.status == "aktif"
               and attendance_window(s, config.tz, config.attendance_close).contains(now)
               for s in sessions)


def _session_buttons(ctx: Context, shown: list[LearningSession]) -> list[list[Button]]:
    row: list[Button] = []
    if ctx.person.registered and _open_now(ctx, shown, ctx.now):
        row.append(ctx.button("✅ Hadir", Shortcut("hadir")))
    today = local_today(ctx.now, ctx.person.tz)
    weeks = {weeks_from(today, s.day) for s in shown}
    if weeks <= {0}:
        row.append(ctx.button("🗓 Jadwal", Shortcut("jadwal")))
    elif weeks <= {1}:
        row.append(ctx.button("🗓 Minggu depan", Shortcut("jadwal", "depan")))
    return [row] if row else []


async def _sessions(ctx: Context, intent: Intent) -> Replies:
    today = local_today(ctx.now, ctx.person.tz)
    found = await find_sessions(ctx.db, intent, ctx.now, today)
    if found is None:
        return None
    hadir = ctx.deps.channels[ctx.incoming.channel].command("hadir")
    text = session_answer(intent, found, ctx.person.tz, ctx.now, hadir)
    shown = found.active or ([found.nearest] if found.nearest is not None else [])
    return Reply(text, buttons=_session_buttons(ctx, shown))


def _personal_buttons(ctx: Context, intent: Intent) -> list[list[Button]]:
    if intent.field == "profile":
        return [[ctx.button("👤 Profil", Shortcut("profil"))]]
    if intent.field in ("jp", "attendance"):
        return [[ctx.button("📊 Rekap JP", Shortcut("rekap"))]]
    return []


async def _personal(ctx: Context, intent: Intent) -> Replies:
    if not ctx.person.registered and intent.field != "announcements":
        return Reply(NOT_REGISTERED.format(mulai="/mulai"))
    replies = as_list(await PERSONAL[intent.field](ctx, intent))
    if not replies:
        return None
    buttons = _personal_buttons(ctx, intent)
    if buttons and not replies[-1].buttons:
        last = replies[-1]
        replies[-1] = Reply(last.text, buttons=buttons)
    return replies


async def answer_intent(ctx: Context, text: str) -> Replies:
    """Answer `text` from the calendar or the person's record, or None for the FAQ."""
    intent = parse_intent(text, local_today(ctx.now, ctx.person.tz))
    if intent is None:
        return None
    if intent.kind == "personal":
        replies = await _personal(ctx, intent)
    else:
        replies = await _sessions(ctx, intent)
    if replies is None:
        return None
    # Logged beside the FAQ's lookups: /faqstat counts what was answered from data.
    ctx.db.add(FaqLookup(person_id=ctx.person.id, text=text[:MAX_INPUT], kind="intent",
                         candidates=f"{intent.kind}:{intent.field}", created_at=ctx.now))
    return replies


@router.fallback()
async def from_data(ctx: Context) -> Replies:
    """Free text that asks about sessions or about the person."""
    text = (ctx.incoming.text or "").strip()
    if not text:
        return None
    return await answer_intent(ctx, text)


@router.callback(Shortcut)
async def shortcut(ctx: Context, data: Shortcut) -> Replies:
    """A button that runs a command, as if it was typed."""
    spec = next((s for s in ctx.deps.commands if data.command in s.names), None)
    if spec is None or (spec.admin and not ctx.is_admin):
        return Reply(text="", notice=STALE)
    if spec.needs_registration and not ctx.person.registered:
        return Reply(NEED_REGISTRATION)
    ctx.command, ctx.args = data.command, data.args
    return await spec.handler(ctx)

"""Answer a question about the person from their own record: JP, attendance, profile, questions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from core.text import esc, jp_text, plain
from core.timezones import format_date, format_time, zone
from core.types import Reply
from db.attendance import (
    JP_TARGET,
    attendance_window,
    existing_attendance,
    person_year,
    upcoming_sessions,
)
from db.models import LearningSession, Question, QuestionAsker
from handlers import certificates
from handlers.attendance import progress_bar
from handlers.intent_parse import Intent
from handlers.linking import channel_line
from handlers.profile_fields import summary
from handlers.router import Context, Replies
from schedules.announcement_history import announcements_to
from schedules.calendar_lookup import last_ended, sessions_in

__all__ = ["PERSONAL", "jp_lines"]

NOT_REGISTERED = (
    "Data kehadiran dan JP tersimpan setelah Bapak/Ibu mendaftar. Ketik {mulai} untuk mendaftar."
)


def _when(ctx: Context, at: datetime) -> str:
    local = at.astimezone(zone(ctx.person.tz)).date()
    return f"{format_date(local)} pukul {format_time(at, ctx.person.tz)}"


async def jp_lines(ctx: Context) -> list[str]:
    """This year's JP against the target, with what counts and what comes next."""
    year = ctx.now.astimezone(ctx.deps.config.tz).year
    attended = await person_year(ctx.db, ctx.person.id, year)
    total = sum(a.session.jp or 0 for a in attended)
    credited = total if ctx.person.nip else 0.0
    lines = [
        f"📊 <b>JP Bapak/Ibu tahun {year}: {jp_text(credited)} JP dari target {JP_TARGET} JP</b>",
        progress_bar(credited),
    ]
    if credited >= JP_TARGET:
        lines.append("🎉 Target 20 JP tahun ini sudah tercapai.")
    else:
        lines.append(f"Kurang {jp_text(JP_TARGET - credited)} JP lagi untuk mencapai target.")
    if attended:
        last = attended[-1].session
        lines.append(f"Hadir di {len(attended)} sesi tahun ini; terakhir: <b>{esc(last.title)}"
                     f"</b> ({format_date(last.day)}).")
    else:
        lines.append("Belum ada kehadiran yang tercatat tahun ini.")
    if not ctx.person.nip and total:
        lines.append(f"⚠️ NIP belum diisi: {jp_text(total)} JP dari kehadiran Bapak/Ibu belum "
                     "dihitung. Isi NIP lewat /profil, maka kehadiran otomatis terhitung.")
    horizon = (ctx.now + timedelta(days=14)).astimezone(ctx.deps.config.tz).date()
    upcoming = await upcoming_sessions(ctx.db, ctx.now, horizon)
    if upcoming and credited < JP_TARGET:
        s = upcoming[0]
        lines.append(f"Sesi berikutnya: <b>{esc(s.title)}</b> — {_when(ctx, s.starts_at)}"
                     + (f" ({jp_text(s.jp)} JP)." if s.jp else "."))
    return lines


async def _record(ctx: Context, intent: Intent) -> Replies:
    return Reply("\n".join(await jp_lines(ctx)))


async def _target_sessions(ctx: Context, intent: Intent) -> list[LearningSession]:
    when = intent.when
    if when is not None and when.start is not None and when.end is not None:
        pool = await sessions_in(ctx.db, when.start, when.end, intent.programme)
        started = [s for s in pool if s.status == "aktif" and s.starts_at <= ctx.now]
        return started[:3]
    return (await last_ended(ctx.db, ctx.now, intent.programme, limit=1))[:1]


async def _attendance(ctx: Context, intent: Intent) -> Replies:
    lines: list[str] = []
    hadir = ctx.deps.channels[ctx.incoming.channel].command("hadir")
    for s in await _target_sessions(ctx, intent):
        found = await existing_attendance(ctx.db, ctx.person.id, s.id)
        what = f"<b>{esc(s.title)}</b> ({format_date(s.day)})"
        if found is not None:
            lines.append(f"✅ Kehadiran Bapak/Ibu di {what} sudah tercatat pada "
                         f"{_when(ctx, found.reported_at)}.")
            continue
        window = attendance_window(s, ctx.deps.config.tz, ctx.deps.config.attendance_close)
        if window.contains(ctx.now):
            lines.append(f"Belum ada kehadiran Bapak/Ibu yang tercatat di {what}. Presensi "
                         f"masih dibuka sampai {_when(ctx, window.closes)}: ketik {hadir}.")
        else:
            lines.append(f"Belum ada kehadiran Bapak/Ibu yang tercatat di {what}, dan "
                         "presensinya sudah ditutup. Jika Bapak/Ibu hadir, sampaikan lewat "
                         "/tanya agar admin dapat memeriksanya.")
    if not lines:
        lines.append("Belum ada sesi yang berlangsung untuk diperiksa kehadirannya.")
    return Reply("\n".join(lines) + "\n\n" + "\n".join(await jp_lines(ctx)))


async def _profile(ctx: Context, intent: Intent) -> Replies:
    text = ("👤 <b>Data Bapak/Ibu</b>\n\n" + summary(ctx) + "\n"
            + channel_line(ctx.person, ctx.deps.channels) + "\n\n"
            + "\n".join(await jp_lines(ctx)) + "\n\nUbah data lewat /profil.")
    return Reply(text)


async def _questions(ctx: Context, intent: Intent) -> Replies:
    rows = (await ctx.db.execute(
        select(Question, QuestionAsker.asked_at)
        .join(QuestionAsker, QuestionAsker.question_id == Question.id)
        .where(QuestionAsker.person_id == ctx.person.id)
        .order_by(QuestionAsker.asked_at.desc()).limit(5)
    )).all()
    if not rows:
        tanya = ctx.deps.channels[ctx.incoming.channel].command("tanya")
        return Reply("Belum ada pertanyaan dari Bapak/Ibu kepada admin BPSDM. Untuk bertanya, "
                     f"ketik <code>{tanya} PERTANYAAN</code>.")
    lines = ["📨 <b>Pertanyaan Bapak/Ibu</b>"]
    for q, asked_at in rows:
        head = f"#{q.id} ({format_date(asked_at.astimezone(zone(ctx.person.tz)).date())})"
        if q.status == "answered" and q.answer:
            answer = " ".join(q.answer.split())
            cut = answer if len(answer) <= 200 else answer[:199] + "…"
            lines.append(f"• {head} — dijawab: {esc(cut)}")
        else:
            lines.append(f"• {head} — menunggu jawaban admin. Jawabannya dikirim ke chat ini.")
    return Reply("\n".join(lines))


async def _announcements(ctx: Context, intent: Intent) -> Replies:
    sent = await announcements_to(ctx.db, ctx.person.id)
    if not sent:
        return Reply("Belum ada pengumuman yang dikirim kepada Bapak/Ibu.")
    lines = ["📣 <b>Pengumuman terbaru untuk Bapak/Ibu</b>"]
    for ann, at in sent:
        body = " ".join(plain(ann.text).split()) or f"(berkas: {ann.media_filename or '-'})"
        cut = body if len(body) <= 300 else body[:299] + "…"
        lines.append(f"\n📅 {_when(ctx, at)}\n{esc(cut)}")
    return Reply("\n".join(lines))


async def _certificates(ctx: Context, intent: Intent) -> Replies:
    """"Sertifikat saya": the person's certificates, as /sertifikat lists them."""
    return await certificates.overview(ctx)


PERSONAL: dict[str, Callable[[Context, Intent], Awaitable[Replies]]] = {
    "jp": _record,
    "attendance": _attendance,
    "profile": _profile,
    "questions": _questions,
    "certificates": _certificates,
    "announcements": _announcements,
}

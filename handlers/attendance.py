"""/hadir and the "Saya hadir" button (attendance, with codes), and /rekap (the JP record)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.callbacks import CallbackData, CallbackError, Signer
from core.config import CoreConfig
from core.programme import by_key
from core.text import esc, jp_text
from core.timezones import format_date, format_time, zone
from core.types import Button, Incoming, Reply
from db.attendance import (
    JP_TARGET,
    Presser,
    Recorded,
    Window,
    attendance_window,
    code_blocked_until,
    code_matches,
    existing_attendance,
    existing_many,
    forget_wrong_codes,
    note_wrong_code,
    open_candidates,
    person_year,
    pressers,
    record_attendance,
    record_many,
    sessions_by_id,
    touch_identities,
    upcoming_sessions,
)
from db.learning import quiz_counts, quiz_scores, streak_days
from db.models import LearningSession
from handlers.after_attendance import FollowUp, follow_up, follow_up_for, quiz_intro
from handlers.edits import Edit, in_place, pending_edit, queue_edits, toast
from handlers.profile import EditField
from handlers.router import Context, Deps, Replies, Router
from schedules.attendance_prompts import AttendPress
from schedules.session_rules import pass_mark, proof_mode

__all__ = [
    "FLOW",
    "AttendPress",
    "Attendee",
    "already_reply",
    "closed_reply",
    "progress_bar",
    "record",
    "recorded_reply",
    "router",
    "week_streak",
]

router = Router("attendance")
FLOW = "attendance"

REKAP_UPCOMING = 5  # sessions /rekap lists as coming next
NOT_REGISTERED = "Bapak/Ibu belum terdaftar. Ketik /mulai untuk mendaftar terlebih dahulu."
GONE = "Sesi ini tidak ditemukan atau sudah dibatalkan."


def progress_bar(total: float, target: int = JP_TARGET, cells: int = 20) -> str:
    """'▰▰▰▱▱… 15%' for `total` JP against `target`."""
    share = min(total / target, 1.0) if target else 1.0
    filled = round(share * cells)
    return "▰" * filled + "▱" * (cells - filled) + f" {round(total / target * 100)}%"


# --- shared pieces --------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    """The person confirming attendance, as the replies need them: built from a handler's
    Context, or from a row of a batch of presses (which has no Context)."""

    person_id: int
    full_name: str | None
    nip: str | None
    tz: str
    now: datetime
    config: CoreConfig
    signer: Signer

    @classmethod
    def of(cls, ctx: Context) -> Attendee:
        """The person of a handler's context."""
        p = ctx.person
        return cls(p.id, p.full_name, p.nip, p.tz, ctx.now, ctx.deps.config, ctx.deps.signer)

    def button(self, label: str, data: CallbackData) -> Button:
        """A button signed for this person."""
        return Button(label, self.signer.sign(str(self.person_id), data.pack()))

    def window(self, s: LearningSession) -> Window:
        """The session's attendance window under the settings."""
        return attendance_window(s, self.config.tz, self.config.attendance_close)

    def when(self, at: datetime) -> str:
        """'Senin, 23 November 2026 pukul 10.15 WIB' in the person's zone."""
        local_day = at.astimezone(zone(self.tz)).date()
        return f"{format_date(local_day)} pukul {format_time(at, self.tz)}"

    def short(self, at: datetime) -> str:
        """'23/11/2026 10.15 WIB' in the person's zone (for toasts)."""
        local = at.astimezone(zone(self.tz))
        return f"{local:%d/%m/%Y} {format_time(at, self.tz)}"


def _window(ctx: Context, s: LearningSession) -> Window:
    settings = ctx.deps.config
    return attendance_window(s, settings.tz, settings.attendance_close)


def _title(s: LearningSession) -> str:
    return f"<b>{esc(s.title)}</b> ({esc(by_key(s.programme_key).name)}, {format_date(s.day)})"


def _toast(
    text: str, notice: str, *, alert: bool = False, buttons: Sequence[Sequence[Button]] = ()
) -> Reply:
    """A reply to a button press that its notice says in full (Telegram shows only the
    toast, so a burst of presses spends no sending quota); other channels send the text."""
    return Reply(text, notice=notice[:200], notice_only=True, alert=alert, buttons=buttons)


def already_reply(
    who: Attendee, s: LearningSession, found: Recorded, *, typed: bool = False
) -> Reply:
    """Pressed (or typed) again: the original time."""
    again = "Tidak perlu mengirim lagi." if typed else "Tidak perlu menekan lagi."
    return _toast(
        f"ℹ️ Kehadiran Bapak/Ibu di {_title(s)} sudah tercatat pada "
        f"{who.when(found.reported_at)}. {again}",
        f"ℹ️ Sudah tercatat pada {who.short(found.reported_at)}. {again}",
    )


def closed_reply(who: Attendee, s: LearningSession, window: Window) -> Reply:
    """Outside the window: when it was (or will be) open."""
    state = "belum dibuka" if who.now < window.opens else "sudah ditutup"
    return _toast(
        f"⏰ Presensi {_title(s)} {state}. Presensi dibuka {who.when(window.opens)} "
        f"sampai {who.when(window.closes)}.",
        f"⏰ Presensi {state}. Dibuka {who.short(window.opens)} sampai "
        f"{who.short(window.closes)}.",
        alert=True,
    )


def recorded_reply(
    who: Attendee, s: LearningSession, found: Recorded, follow: FollowUp = ("", ()),
    *, pressed: bool = False,
) -> Reply:
    """Recorded now (with what it brings in JP, or the missing NIP), and what follows (the
    evaluation, the quiz): then the message whose button was pressed is edited into it, so
    a webinar's peak of presses sends no extra message."""
    lines = [
        f"✅ <b>Kehadiran tercatat.</b> Terima kasih, {esc(who.full_name or 'Bapak/Ibu')}!",
        f"{_title(s)}",
        f"Dicatat {who.when(found.reported_at)}.",
    ]
    at = format_time(found.reported_at, who.tz)
    nip_button: list[list[Button]] = []
    if who.nip:
        gain = f" +{jp_text(s.jp)} JP." if s.jp else ""
        if gain:
            lines.append(f"+{jp_text(s.jp)} JP. Lihat rekap Bapak/Ibu dengan /rekap.")
        notice, alert = f"✅ Kehadiran tercatat ({at}).{gain} Terima kasih! Rekap: /rekap", False
    else:
        lines.append(
            "\n⚠️ <b>NIP Bapak/Ibu belum diisi</b>, sehingga kehadiran ini belum dihitung "
            "sebagai JP. Kehadiran sudah tersimpan dan <b>otomatis terhitung</b> begitu NIP "
            "diisi lewat /profil."
        )
        notice = (f"✅ Kehadiran tercatat ({at}). NIP Bapak/Ibu belum diisi: kehadiran ini "
                  "otomatis dihitung sebagai JP setelah NIP diisi lewat /profil.")
        alert = True
        nip_button = [[who.button("✏️ Isi NIP sekarang", EditField("nip"))]]
    text, buttons = follow
    if not text:
        return _toast("\n".join(lines), notice, alert=alert, buttons=nip_button)
    return Reply("\n".join(lines) + "\n\n" + text, buttons=[*map(list, buttons), *nip_button],
                 notice=notice[:200], alert=alert, edit=pressed)


async def _blocked(ctx: Context) -> Reply | None:
    until = await code_blocked_until(ctx.db, ctx.person.id, ctx.now)
    if until is None:
        return None
    return Reply(
        "⏳ Terlalu banyak kode presensi yang salah. Silakan coba lagi setelah pukul "
        f"{format_time(until, ctx.person.tz)}.",
        notice="Terlalu banyak kode salah",
    )


async def _wrong_code(ctx: Context) -> Reply:
    left = await note_wrong_code(ctx.db, ctx.person.id, ctx.now)
    if left == 0:
        blocked = await _blocked(ctx)
        assert blocked is not None
        return blocked
    return Reply(
        "❌ Kode presensi salah. Periksa kode yang diumumkan saat sesi, lalu ketik lagi "
        f"(sisa {left} percobaan). Ketik /batal untuk membatalkan.",
        notice="Kode presensi salah",
    )


async def _confirm(ctx: Context, s: LearningSession, *, code: str | None = None) -> Replies:
    """Record `s` for this person if the window is open and the proof is given: the code
    (bukti kode), the button (tombol), or a passed quiz (kuis: the quiz is offered)."""
    typed = ctx.incoming.callback is None  # "hadir KODE" or a code typed after the button
    window = _window(ctx, s)
    if not window.contains(ctx.now):
        found = await existing_attendance(ctx.db, ctx.person.id, s.id)
        return already_reply(Attendee.of(ctx), s, found, typed=typed) if found else \
            closed_reply(Attendee.of(ctx), s, window)
    questions = (await quiz_counts(ctx.db, [s.id])).get(s.id, 0)
    proof = proof_mode(s, has_quiz=bool(questions))
    if proof == "kuis":
        found = await existing_attendance(ctx.db, ctx.person.id, s.id)
        if found:
            return already_reply(Attendee.of(ctx), s, found, typed=typed)
        text, buttons = quiz_intro(s, questions, ctx.button)
        return await in_place(ctx, Reply(text, buttons=buttons,
                                         edit=ctx.incoming.callback is not None,
                                         notice="📝 Presensi sesi ini lewat kuis singkat"))
    if proof == "kode":
        found = await existing_attendance(ctx.db, ctx.person.id, s.id)
        if found:
            return already_reply(Attendee.of(ctx), s, found, typed=typed)
        if code is None:
            await ctx.set_state(FLOW, "code", {"session": s.id})
            return _toast(
                f"🔑 Presensi {_title(s)} memakai <b>kode presensi</b> yang diumumkan saat "
                "sesi berlangsung. Silakan ketik kodenya. Ketik /batal untuk membatalkan.",
                "🔑 Sesi ini memakai kode presensi. Ketik kode yang diumumkan saat sesi di chat "
                "ini (atau /hadir KODE).",
                alert=True,
            )
        blocked = await _blocked(ctx)
        if blocked:
            return blocked
        if not code_matches(s.attendance_code, code):
            return await _wrong_code(ctx)
        await forget_wrong_codes(ctx.db, ctx.person.id)
        if ctx.state is not None and ctx.state.flow == FLOW:
            await ctx.clear_state()
    return await in_place(ctx, await record(ctx, s))


async def record(ctx: Context, s: LearningSession) -> Reply:
    """Record the attendance (proof given) and say so, with what follows it (an edit of the
    pressed message: pass it through `handlers.edits.in_place`)."""
    found = await record_attendance(
        ctx.db, person_id=ctx.person.id, session_id=s.id, now=ctx.now,
        channel=ctx.incoming.channel,
    )
    who = Attendee.of(ctx)
    if not found.created:
        typed = ctx.incoming.callback is None
        return already_reply(who, s, found, typed=typed)
    follow = await follow_up_for(ctx.db, s, ctx.person.id, who.button)
    return recorded_reply(who, s, found, follow, pressed=ctx.incoming.callback is not None)


# --- /hadir ---------------------------------------------------------------------------


def _today_text(ctx: Context, today: list[LearningSession]) -> str:
    if not today:
        return "Hari ini tidak ada sesi Dahar Ngopi."
    tz = ctx.person.tz
    lines = ["Sesi hari ini:"]
    for s in today:
        w = _window(ctx, s)
        lines.append(
            f"• {esc(s.title)} — presensi {format_time(w.opens, tz).rsplit(' ', 1)[0]}"
            f"–{format_time(w.closes, tz)}"
        )
    return "\n".join(lines)


@router.command("hadir", description="Catat kehadiran sesi hari ini (/hadir KODE)",
                label="✅ Hadir", registered=True, max_len=60, args=r"\S{1,60}")
async def hadir(ctx: Context) -> Replies:
    """List today's open sessions (buttons), record the only one, or check a typed code."""
    settings = ctx.deps.config
    candidates = await open_candidates(ctx.db, ctx.now, settings.tz)
    open_now = [s for s in candidates if _window(ctx, s).contains(ctx.now)]
    code = ctx.args.strip()
    if code:
        coded = [s for s in open_now if s.attendance_code]
        if coded:
            matching = [s for s in coded if code_matches(s.attendance_code, code)]
            if matching:
                return await _confirm(ctx, matching[0], code=code)
            blocked = await _blocked(ctx)
            return blocked or await _wrong_code(ctx)
        # No open session asks for a code: a typed word changes nothing.
    if not open_now:
        today = ctx.now.astimezone(settings.tz).date()
        return Reply("Saat ini tidak ada sesi yang dibuka untuk presensi.\n\n"
                     + _today_text(ctx, [s for s in candidates if s.day == today]))
    if len(open_now) == 1:
        return await _confirm(ctx, open_now[0])
    tz = ctx.person.tz
    buttons = [
        [ctx.button(f"{format_time(s.starts_at, tz).rsplit(' ', 1)[0]} {s.title}"[:60],
                    AttendPress(s.id))]
        for s in open_now
    ]
    return Reply("Sesi yang sedang dibuka untuk presensi. Pilih sesi yang Bapak/Ibu ikuti:",
                 buttons=buttons)


@router.callback(AttendPress)
async def pressed(ctx: Context, data: AttendPress) -> Replies:
    """The "Saya hadir" button (of a prompt, or of /hadir's list)."""
    if not ctx.person.registered:
        return Reply(NOT_REGISTERED, notice="Belum terdaftar")
    s = await ctx.db.get(LearningSession, data.session)
    if s is None or s.status != "aktif":
        return _toast(GONE, GONE)
    return await _confirm(ctx, s)


@router.batch(AttendPress)
async def pressed_together(deps: Deps, items: Sequence[Incoming]) -> list[Replies | None]:
    """Many "Saya hadir" presses in one unit of work: a few statements per batch, not per
    press. Anything unusual (an unknown or unregistered account, a bad signature, a session
    that asks for a code or is gone) is left to `pressed`, the usual path (None)."""
    now = deps.clock.now()
    out: list[Replies | None] = [None] * len(items)
    async with deps.sessions() as db, db.begin():
        picked: list[tuple[int, Presser, int]] = []  # (item index, presser, session id)
        channels = sorted({inc.channel for inc in items})
        for channel in channels:
            idxs = [i for i, inc in enumerate(items) if inc.channel == channel]
            accounts = await pressers(db, channel, [items[i].user_id for i in idxs])
            for i in idxs:
                presser = accounts.get(items[i].user_id)
                data = _verified(deps, items[i], presser)
                if presser is not None and data is not None:
                    picked.append((i, presser, data.session))
        sessions = await sessions_by_id(db, {sid for _, _, sid in picked})
        questions = await quiz_counts(db, list(sessions))
        record: dict[str, list[tuple[int, int]]] = defaultdict(list)
        check: list[tuple[int, int]] = []
        plans: list[tuple[int, Attendee, LearningSession, bool]] = []
        for i, presser, sid in picked:
            ls = sessions.get(sid)
            if ls is None or ls.status != "aktif" or proof_mode(
                    ls, has_quiz=ls.id in questions) != "tombol":
                continue
            who = Attendee(presser.person_id, presser.full_name, presser.nip, presser.tz, now,
                      deps.config, deps.signer)
            is_open = who.window(ls).contains(now)
            (record[items[i].channel] if is_open else check).append((presser.person_id, sid))
            plans.append((i, who, ls, is_open))
        outcomes = await existing_many(db, check)
        for ch, pairs in record.items():
            outcomes.update(await record_many(db, pairs, now=now, channel=ch))
        edits: list[Edit] = []
        told: set[tuple[int, int]] = set()  # a double press in one batch: the 2nd is told
        for i, who, ls, is_open in sorted(plans, key=lambda plan: plan[0]):
            pair = (who.person_id, ls.id)
            found = outcomes.get(pair)
            if found is None:
                out[i] = closed_reply(who, ls, who.window(ls))
            elif found.created and is_open and pair not in told:
                # Just recorded: nothing of the evaluation or quiz is done yet.
                follow = follow_up(ls, who.button, evaluated=False,
                                   questions=questions.get(ls.id, 0), quizzed=False)
                reply = recorded_reply(who, ls, found, follow, pressed=True)
                edit = pending_edit(deps.channels, items[i], who.person_id, reply)
                if edit is not None:
                    edits.append(edit)
                    reply = toast(reply)
                out[i] = reply
            else:
                out[i] = already_reply(who, ls, found)
            told.add(pair)
        await touch_identities(db, [p.identity_id for i, p, _ in picked if out[i] is not None],
                               now)
        await queue_edits(db, edits, now)
    return out


def _verified(deps: Deps, inc: Incoming, presser: Presser | None) -> AttendPress | None:
    """The press's data if its signature holds for this registered person (else None)."""
    if presser is None or not presser.registered or not inc.is_private or not inc.callback:
        return None
    for owner in (str(presser.person_id), ""):
        try:
            return AttendPress.unpack(deps.signer.verify(owner, inc.callback))
        except CallbackError:
            continue
    return None


@router.flow(FLOW)
async def typed_code(ctx: Context) -> Replies:
    """A code typed after the button asked for it."""
    assert ctx.state is not None
    session_id = ctx.state.data.get("session")
    s = await ctx.db.get(LearningSession, session_id) if isinstance(session_id, int) else None
    if s is None or s.status != "aktif" or not ctx.person.registered:
        await ctx.clear_state()
        return Reply(GONE)
    if not _window(ctx, s).contains(ctx.now):
        await ctx.clear_state()
    typed = (ctx.incoming.text or "").strip()
    word, _, rest = typed.partition(" ")
    if word.lower() == "hadir" and rest.strip():
        typed = rest.strip()  # "hadir KODE" typed at the code prompt: the code
    return await _confirm(ctx, s, code=typed[:60])


# --- /rekap ---------------------------------------------------------------------------


def week_streak(session_days: set[date], attended_days: set[date], today: date) -> int:
    """Weeks in a row, up to this one, with at least one attended session; a week without
    any session does not break it, and this week counts once attended (it is not over)."""
    def monday(day: date) -> date:
        return day - timedelta(days=day.weekday())

    attended = {monday(d) for d in attended_days}
    this_week, streak = monday(today), 0
    for week in sorted({monday(d) for d in session_days if d <= today}, reverse=True):
        if week in attended:
            streak += 1
        elif week != this_week:
            break
    return streak


async def _learning_lines(ctx: Context, today: date) -> list[str]:
    """The week streak and this year's quiz results."""
    held, attended = await streak_days(ctx.db, ctx.person.id, today - timedelta(weeks=104),
                                       today)
    lines: list[str] = []
    streak = week_streak(held, attended, today)
    if streak >= 2:
        lines.append(f"🔥 <b>{streak} minggu berturut-turut</b> mengikuti sesi. Pertahankan!")
    elif streak == 1:
        lines.append("🔥 Minggu ini Bapak/Ibu sudah belajar. Sampai jumpa minggu depan!")
    scores = await quiz_scores(ctx.db, ctx.person.id, date(today.year, 1, 1), today)
    if scores:
        passed = sum(1 for q in scores if q.right >= pass_mark(q.questions))
        lines.append(f"\n🧠 <b>Kuis</b>: {len(scores)} sesi, lulus {passed}")
        lines += [
            f"• {q.day:%d/%m} {esc(q.title)}: {q.right}/{q.questions}"
            + (" ✅" if q.right >= pass_mark(q.questions) else "")
            for q in scores[-10:]
        ]
    return lines



@router.command("rekap", description="Rekap kehadiran dan JP tahun ini", label="📊 Rekap JP",
                registered=True)
async def rekap(ctx: Context) -> Replies:
    """The sessions attended this year by programme, the JP total against 20, and what is
    still coming this month."""
    agency_today = ctx.now.astimezone(ctx.deps.config.tz).date()
    year = agency_today.year
    attended = await person_year(ctx.db, ctx.person.id, year)
    has_nip = bool(ctx.person.nip)
    lines = [f"📊 <b>Rekap kehadiran {year}</b>"]
    if ctx.person.full_name:
        lines[0] += f" — {esc(ctx.person.full_name)}"
    groups: dict[str, list[LearningSession]] = defaultdict(list)
    for a in attended:
        groups[a.session.programme_key].append(a.session)
    total = sum(a.session.jp or 0 for a in attended)
    if not attended:
        lines.append("\nBelum ada kehadiran yang tercatat tahun ini. Tekan tombol ✅ Hadir "
                     "saat mengikuti sesi.")
    for key in sorted(groups, key=lambda k: by_key(k).weekday):
        items = groups[key]
        jp = sum(s.jp or 0 for s in items)
        lines.append(f"\n<b>{esc(by_key(key).name)}</b> — {len(items)} sesi, {jp_text(jp)} JP")
        lines += [f"• {s.day:%d/%m} {esc(s.title)} ({jp_text(s.jp or 0)} JP)" for s in items]
    credited = total if has_nip else 0.0
    lines.append(
        f"\n<b>Total: {jp_text(credited)} JP</b> dari target {JP_TARGET} JP per tahun\n"
        f"{progress_bar(credited)}"
    )
    if credited >= JP_TARGET:
        lines.append("🎉 Target 20 JP tahun ini sudah tercapai. Luar biasa!")
    if not has_nip and total:
        lines.append(
            f"⚠️ NIP belum diisi: {jp_text(total)} JP dari kehadiran di atas belum dihitung. "
            "Isi NIP lewat /profil, maka kehadiran otomatis terhitung."
        )
    lines += await _learning_lines(ctx, agency_today)
    # The next few sessions, not the rest of the month: /jadwal has the week.
    upcoming = await upcoming_sessions(ctx.db, ctx.now, agency_today + timedelta(days=30))
    tz = ctx.person.tz
    if upcoming:
        lines.append("\n<b>Sesi berikutnya</b>")
        lines += [
            f"• {format_date(s.day)} {format_time(s.starts_at, tz)} — {esc(s.title)}"
            + (f" ({jp_text(s.jp)} JP)" if s.jp else "")
            for s in upcoming[:REKAP_UPCOMING]
        ]
        if len(upcoming) > REKAP_UPCOMING:
            lines.append("Jadwal lengkap: /jadwal.")
    else:
        lines.append("\nBelum ada sesi terjadwal dalam 30 hari ke depan.")
    return Reply("\n".join(lines))

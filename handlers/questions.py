"""ASN Bertanya, BPSDM Menjawab: /tanya files a question; admins answer it and the bot relays."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.callbacks import CallbackData, Signer
from core.text import esc
from core.timezones import format_date, format_time, local_today
from core.types import Button, Reply, TemplateRef
from db.erasure import ERASED_QUESTION
from db.models import FaqLookup, Identity, Question, QuestionAsker, QuestionNotice
from handlers.faq_entries import MAX_ANSWER, FaqEntry, FaqFormatError
from handlers.faq_store import save_entry, stored_entries
from handlers.outgoing import send_on_own
from handlers.questions_store import (
    Filed,
    admin_recipients,
    askers_of,
    asks_since,
    file_question,
    open_questions,
    question_from_notice,
)
from handlers.router import Context, Replies, Router

__all__ = [
    "AnswerStart",
    "MakeFaq",
    "ReadAnswer",
    "SendToAgency",
    "admin_router",
    "answer_question",
    "make_faq_entry",
    "notice_reply",
    "router",
    "submit",
]

log = logging.getLogger(__name__)

router = Router("questions")
admin_router = Router("questions-admin", admin=True)

ASK_FLOW = "tanya"
# Admin flows may carry texts longer than 1,000 characters (see the dispatcher).
ANSWER_FLOW = "admin-jawab"
# An answer is relayed with the question quoted above it; both fit one message.
MAX_REPLY_ANSWER = MAX_ANSWER
QUOTE = 300
# A template's body with its values must stay under 1,024 characters.
TEMPLATE_QUESTION, TEMPLATE_ANSWER = 200, 600
# After this, text typed after ❓ Tanya is taken as an FAQ question again: the person
# has most likely moved on.
ASK_FLOW_TTL = timedelta(minutes=30)
LIST_LIMIT = 10
# "📨 Pertanyaan #12" at the start of a notification an admin replies to.
_NOTICE = re.compile(r"^\W*Pertanyaan #(\d+)")
_JAWAB = re.compile(r"^#?(\d+)\s+(.+)$", re.DOTALL)
# An asker who erased their data (/hapusdata): shown without anything of theirs.
ANONYMOUS = "Penanya anonim (telah menghapus datanya)"
ASKER_ERASED = ("Pertanyaan #{n} tidak dapat dijawab: penanya telah menghapus datanya, "
                "sehingga jawaban tidak dapat dikirim kepada siapa pun.")


@dataclass(frozen=True)
class AnswerStart(CallbackData):
    """An admin's "answer" button under a question."""

    prefix: ClassVar[str] = "qa"
    question: int


@dataclass(frozen=True)
class MakeFaq(CallbackData):
    """An admin's "make it an FAQ entry" button under an answered question."""

    prefix: ClassVar[str] = "qf"
    question: int


@dataclass(frozen=True)
class ReadAnswer(CallbackData):
    """"Baca selengkapnya" under the WhatsApp answer template: send the whole answer."""

    prefix: ClassVar[str] = "qr"
    question: int


@dataclass(frozen=True)
class SendToAgency(CallbackData):
    """A person's "send my question to BPSDM" button under an FAQ reply (a lookup id)."""

    prefix: ClassVar[str] = "qs"
    lookup: int


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# --- the person's side ------------------------------------------------------------------


@router.command("tanya", description="Kirim pertanyaan kepada admin BPSDM", label="❓ Tanya",
                registered=True, args=r".{10,}")
async def ask(ctx: Context) -> Replies:
    """File the question after the command, or ask for it."""
    if ctx.args:
        return await submit(ctx, ctx.args)
    await ctx.set_state(ASK_FLOW, "text")
    limit = ctx.deps.config.question_max_chars
    return Reply(
        "❓ <b>ASN Bertanya, BPSDM Menjawab</b>\n\n"
        f"Silakan ketik pertanyaan Bapak/Ibu (maksimal {_number(limit)} karakter). "
        "Pertanyaan akan diteruskan kepada admin BPSDM Jawa Timur, dan jawabannya dikirim "
        "melalui chat ini.\n\nKetik /batal untuk membatalkan."
    )


@router.flow(ASK_FLOW)
async def ask_step(ctx: Context) -> Replies:
    """The question typed after /tanya."""
    assert ctx.state is not None
    if ctx.now - ctx.state.updated_at > ASK_FLOW_TTL:
        await ctx.clear_state()
        return None  # a late line is free text again: the FAQ answers it
    text = (ctx.incoming.text or "").strip()
    if len(text) > ctx.deps.config.question_max_chars:
        return _too_long(ctx)  # stay in the flow: a shorter version is welcome
    await ctx.clear_state()
    return await submit(ctx, text)


def _too_long(ctx: Context) -> Reply:
    limit = _number(ctx.deps.config.question_max_chars)
    return Reply(
        f"Maaf, pertanyaan terlalu panjang (maksimal {limit} karakter). "
        "Mohon dipersingkat, lalu kirim kembali."
    )


async def submit(ctx: Context, text: str, lookup: FaqLookup | None = None) -> Replies:
    """File a question for the person, within the limits, and tell the admins if it is new."""
    settings = ctx.deps.config
    text = text.strip()
    if not ctx.person.registered:
        return Reply("Untuk bertanya kepada admin BPSDM, silakan daftar dahulu dengan /mulai.")
    if not text:
        return Reply("Pertanyaannya belum ada. Contoh: /tanya Kapan sertifikat webinar terbit?")
    if len(text) > settings.question_max_chars:
        return _too_long(ctx)
    recent = await asks_since(ctx.db, ctx.person.id, ctx.now - timedelta(hours=1))
    if len(recent) >= settings.question_rate_per_hour:
        again = recent[-settings.question_rate_per_hour] + timedelta(hours=1)
        when = "pukul " + format_time(again, ctx.person.tz)
        if local_today(again, ctx.person.tz) != local_today(ctx.now, ctx.person.tz):
            when = f"{format_date(local_today(again, ctx.person.tz))} {when}"
        return Reply(
            f"Mohon maaf, Bapak/Ibu sudah mengirim {settings.question_rate_per_hour} "
            "pertanyaan dalam satu jam terakhir. Agar setiap pertanyaan dapat kami jawab "
            f"dengan baik, silakan kirim pertanyaan berikutnya setelah {when}. "
            "Terima kasih atas pengertiannya. 🙏"
        )
    filed = await file_question(
        ctx.db, person=ctx.person, text=text, channel=ctx.incoming.channel,
        chat_id=ctx.incoming.chat_id, now=ctx.now,
    )
    if lookup is not None:
        lookup.question_id = filed.question.id
    if filed.kind == "new":
        await _tell_admins(ctx, filed)
    return Reply(_received(filed))


def _received(filed: Filed) -> str:
    n = filed.question.id
    if filed.kind == "again":
        return (
            f"Pertanyaan ini sudah Bapak/Ibu kirim sebelumnya dengan nomor <b>#{n}</b> dan "
            "sedang menunggu jawaban admin. Mohon ditunggu, jawabannya akan dikirim ke chat ini."
        )
    if filed.kind == "joined":
        return (
            f"✅ Pertanyaan Bapak/Ibu sudah kami terima dengan nomor <b>#{n}</b>.\n\n"
            "Pertanyaan yang sama sudah diajukan peserta lain dan sedang menunggu jawaban; "
            "jawabannya akan dikirim juga kepada Bapak/Ibu melalui chat ini."
        )
    return (
        f"✅ Pertanyaan Bapak/Ibu sudah kami terima dengan nomor <b>#{n}</b>.\n\n"
        "Admin BPSDM Jawa Timur akan menjawab secepatnya, dan jawabannya dikirim melalui chat "
        "ini. Terima kasih telah bertanya. ☕"
    )


def notice_reply(signer: Signer, q: Question, who: str) -> Reply:
    """What tells the admins about a question: who asked (name and office, escaped), the
    question, and a button to answer it (any admin may press it)."""
    if q.status == ERASED_QUESTION:
        return Reply(f"📨 <b>Pertanyaan #{q.id}</b>\nPenanya telah menghapus datanya; "
                     "pertanyaan ini tidak perlu dijawab.")
    text = (
        f"📨 <b>Pertanyaan #{q.id}</b>\n"
        f"Dari: {who}\n\n"
        f"<i>{esc(q.text)}</i>\n\n"
        f"Balas (reply) pesan ini dengan jawabannya, tekan tombol di bawah, "
        f"atau ketik /jawab {q.id} JAWABAN."
    )
    button = Button(f"✍️ Jawab #{q.id}", signer.sign("", AnswerStart(q.id).pack()))
    return Reply(text, buttons=[[button]])


async def _tell_admins(ctx: Context, filed: Filed) -> None:
    q, person = filed.question, ctx.person
    # Name and office only: the NIP is personal data the admins do not need to answer.
    office = person.instansi or "instansi tidak diisi"
    who = esc(person.full_name or "Peserta") + " — " + esc(office)
    reply = notice_reply(ctx.deps.signer, q, who)
    recipients = await admin_recipients(ctx.db, ctx.deps.channels)
    for r in recipients:
        outbox_id = await send_on_own(
            ctx.db, key=f"q{q.id}:admin:{r.channel}:{r.chat_id}", person_id=r.person_id,
            channel=r.channel, chat_id=r.chat_id, kind="question", reply=reply, now=ctx.now,
        )
        ctx.db.add(QuestionNotice(
            question_id=q.id, channel=r.channel, chat_id=r.chat_id, outbox_id=outbox_id,
            created_at=ctx.now,
        ))
    if not recipients:
        log.warning("question %d filed but no admin is configured to receive it", q.id)


@router.callback(SendToAgency)
async def send_lookup(ctx: Context, data: SendToAgency) -> Replies:
    """The "send to BPSDM" button under an FAQ reply: file the message that was asked."""
    lookup = await ctx.db.get(FaqLookup, data.lookup)
    if lookup is None or lookup.person_id != ctx.person.id:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    if lookup.question_id is not None:
        return Reply(text="", notice=f"Pertanyaan ini sudah dikirim (#{lookup.question_id}).")
    return await submit(ctx, lookup.text, lookup)


# --- the admins' side --------------------------------------------------------------------

JAWAB_USAGE = (
    "Cara menjawab: <code>/jawab NOMOR JAWABAN</code>, misalnya\n"
    "<code>/jawab 12 Sertifikat dapat diunduh tiga hari kerja setelah sesi.</code>\n"
    "Atau balas (reply) pesan pemberitahuan pertanyaan itu. /pertanyaan menampilkan "
    "pertanyaan yang belum dijawab."
)


@admin_router.command("jawab", description="Jawab pertanyaan peserta: /jawab NOMOR JAWABAN",
                      max_len=MAX_REPLY_ANSWER + 10, args=r"#?\d+\s+\S.*")
async def jawab(ctx: Context) -> Replies:
    """Answer question NOMOR with the rest of the text."""
    m = _JAWAB.match(ctx.args.strip())
    if m is None:
        return Reply(JAWAB_USAGE)
    return await answer(ctx, int(m.group(1)), m.group(2))


@admin_router.fallback()
async def reply_to_notice(ctx: Context) -> Replies:
    """An admin's reply to a question notification is the answer to that question."""
    inc = ctx.incoming
    if inc.reply_to_message_id is None:
        return None
    qid = await question_from_notice(ctx.db, inc.channel, inc.chat_id,
                                     inc.reply_to_message_id)
    if qid is None and inc.reply_to_text:
        # The notification's own text names the question (Telegram sends it with the reply).
        m = _NOTICE.match(inc.reply_to_text)
        qid = int(m.group(1)) if m else None
    if qid is None:
        return None
    return await answer(ctx, qid, inc.text or "")


@admin_router.callback(AnswerStart)
async def answer_start(ctx: Context, data: AnswerStart) -> Replies:
    """Ask the admin for the answer to one question."""
    q = await ctx.db.get(Question, data.question)
    if q is None:
        return Reply(text="", notice="Pertanyaan tidak ditemukan.")
    if q.status == ERASED_QUESTION:
        return Reply(ASKER_ERASED.format(n=q.id))
    if q.status != "open":
        return Reply(f"Pertanyaan #{q.id} sudah dijawab.\n\n" + _answered(q))
    await ctx.set_state(ANSWER_FLOW, "answer", {"question": q.id})
    return Reply(
        f"✍️ Silakan ketik jawaban untuk pertanyaan <b>#{q.id}</b>:\n<i>{esc(_cut(q.text, QUOTE))}"
        "</i>\n\nKetik /batal untuk membatalkan."
    )


@admin_router.flow(ANSWER_FLOW)
async def answer_step(ctx: Context) -> Replies:
    """The answer typed after the "answer" button."""
    assert ctx.state is not None
    qid = int(str(ctx.state.data.get("question", 0)))
    await ctx.clear_state()
    return await answer(ctx, qid, ctx.incoming.text or "")


def _answered(q: Question) -> str:
    return f"Jawaban yang sudah dikirim:\n{esc(q.answer or '')}"


async def answer(ctx: Context, qid: int, text: str) -> Replies:
    """Record the answer to question `qid` and relay it to everyone who asked it."""
    text = text.strip()
    q = await ctx.db.get(Question, qid)
    if q is None:
        return Reply(f"Pertanyaan #{qid} tidak ditemukan. Ketik /pertanyaan untuk daftarnya.")
    if q.status == ERASED_QUESTION:
        return Reply(ASKER_ERASED.format(n=q.id))
    if q.status != "open":
        return Reply(f"Pertanyaan #{q.id} sudah dijawab sebelumnya.\n\n" + _answered(q))
    if not text:
        return Reply(JAWAB_USAGE)
    if len(text) > MAX_REPLY_ANSWER:
        return Reply(
            f"Maaf, jawaban terlalu panjang (maksimal {_number(MAX_REPLY_ANSWER)} karakter). "
            "Mohon dipersingkat."
        )
    sent = await answer_question(ctx.db, ctx.deps.signer, q, text, now=ctx.now,
                                 by=f"{ctx.incoming.channel}:{ctx.incoming.user_id}")
    gone = sum(1 for _asker, p in await askers_of(ctx.db, q.id) if p.erased_at is not None)
    people = "penanya" if sent == 1 else f"{sent} penanya"
    text = f"✅ Jawaban untuk pertanyaan <b>#{q.id}</b> dikirim kepada {people}."
    if gone:
        text += f" {gone} penanya lain telah menghapus datanya dan tidak menerimanya."
    return Reply(text, buttons=[[ctx.button("📚 Jadikan entri FAQ", MakeFaq(q.id))]])


async def answer_question(
    db: AsyncSession, signer: Signer, q: Question, text: str, *, now: datetime, by: str
) -> int:
    """Record `text` (checked by the caller) as the answer to open question `q`, by admin
    `by`, and relay it to everyone who asked; returns how many askers it was queued for.
    The chat's /jawab and the konsol both answer through this."""
    q.status, q.answer, q.answered_at, q.answered_by = "answered", text, now, by
    sent = await relay_answer(db, signer, q, now)
    log.info("question %d answered; relayed to %d askers", q.id, sent)
    return sent


async def _chat_of(db: AsyncSession, person_id: int, channel: str) -> Identity | None:
    idents = list((await db.execute(
        select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
    )).scalars())
    # The channel they asked on first, else any they still have (none after erasure).
    return next((i for i in idents if i.channel == channel), idents[0] if idents else None)


async def relay_answer(db: AsyncSession, signer: Signer, q: Question, now: datetime) -> int:
    """Queue the answer for every asker not yet told; returns how many were queued."""
    answer_text = q.answer or ""
    sent = 0  # askers queued
    for asker, person in await askers_of(db, q.id):
        if asker.relayed_at is not None or person.erased_at is not None:
            continue
        ident = await _chat_of(db, person.id, asker.channel)
        if ident is None:
            continue
        reply = Reply(_relayed(q, asker.text))
        # Outside WhatsApp's 24-hour window only the approved answer template may be sent;
        # its "Baca selengkapnya" button brings the whole answer (and reopens the window).
        more = signer.sign(str(person.id), ReadAnswer(q.id).pack())
        template = TemplateRef(
            "answer", (_cut(asker.text, TEMPLATE_QUESTION), _cut(answer_text, TEMPLATE_ANSWER)),
            (more,))
        await send_on_own(
            db, key=f"q{q.id}:answer:{person.id}", person_id=person.id,
            channel=ident.channel, chat_id=ident.chat_id, kind="answer", reply=reply,
            now=now, template=template,
        )
        asker.relayed_at = now
        sent += 1
    return sent


def _relayed(q: Question, asked: str) -> str:
    return (
        f"💬 <b>Jawaban BPSDM</b> atas pertanyaan Bapak/Ibu (#{q.id}):\n"
        f"<i>“{esc(_cut(asked, QUOTE))}”</i>\n\n"
        f"{esc(q.answer or '')}\n\n"
        "Terima kasih telah bertanya. Ada pertanyaan lain? Ketik /tanya."
    )


@router.callback(ReadAnswer)
async def read_answer(ctx: Context, data: ReadAnswer) -> Replies:
    """The whole answer, for someone who got the shortened template."""
    q = await ctx.db.get(Question, data.question)
    asker = await ctx.db.scalar(
        select(QuestionAsker).where(QuestionAsker.question_id == data.question,
                                    QuestionAsker.person_id == ctx.person.id)
    )
    if q is None or asker is None or q.answer is None:
        return Reply(text="", notice="Tombol ini sudah tidak berlaku.")
    return Reply(_relayed(q, asker.text))


@admin_router.command("pertanyaan", description="Pertanyaan peserta yang belum dijawab")
async def list_open(ctx: Context) -> Replies:
    """Open questions, oldest first, with an answer button each."""
    found, total = await open_questions(ctx.db, LIST_LIMIT)
    if not found:
        return Reply("✅ Tidak ada pertanyaan yang menunggu jawaban.")
    tz = ctx.person.tz
    lines = [f"📋 <b>Pertanyaan yang belum dijawab</b> ({_number(total)}), terlama dulu:", ""]
    buttons: list[list[Button]] = []
    for item in found:
        q, first = item.question, item.first
        day = local_today(q.created_at, tz)
        when = f"{format_date(day)} {format_time(q.created_at, tz)}"
        if first is not None and first.erased_at is not None:
            who = ANONYMOUS
        else:
            who = esc((first.full_name if first else None) or "Peserta")
            if first is not None and first.instansi:
                who += " — " + esc(first.instansi)
        more = f" · {item.askers} penanya" if item.askers > 1 else ""
        lines += [f"<b>#{q.id}</b> · {when}{more}", who, f"<i>{esc(_cut(q.text, 200))}</i>", ""]
        buttons.append([ctx.button(f"✍️ Jawab #{q.id}", AnswerStart(q.id))])
    if total > len(found):
        lines.append(f"… dan {_number(total - len(found))} pertanyaan lainnya.")
    lines.append("Jawab dengan tombol, dengan /jawab NOMOR JAWABAN, atau balas pemberitahuannya.")
    return Reply("\n".join(lines), buttons=buttons)


def _faq_id(q: Question) -> str:
    return f"tanya-{q.id}"


@admin_router.callback(MakeFaq)
async def make_faq(ctx: Context, data: MakeFaq) -> Replies:
    """Turn an answered question into an FAQ entry in one step."""
    q = await ctx.db.get(Question, data.question)
    if q is None or q.status != "answered" or not q.answer:
        return Reply(text="", notice="Pertanyaan ini belum dijawab.")
    return await faq_from_question(ctx, q)


async def make_faq_entry(db: AsyncSession, q: Question, *, now: datetime, by: str) -> str:
    """Add answered question `q` as an FAQ entry (other askers' wordings as phrasings);
    returns the entry's id. Raises `FaqFormatError` when the FAQ refuses it."""
    entry_id = _faq_id(q)
    taken = {
        " ".join(t.lower().split())
        for e in await stored_entries(db) for t in (e.question, *e.phrasings)
    }
    question = _cut(q.text, 200)
    phrasings: list[str] = []
    seen = {" ".join(question.lower().split())}
    for asker, _person in await askers_of(db, q.id):
        key = " ".join(asker.text.lower().split())
        if key not in seen and key not in taken:
            seen.add(key)
            phrasings.append(" ".join(asker.text.split()))
    entry = FaqEntry(id=entry_id, question=question, answer=esc(q.answer or ""),
                     phrasings=tuple(phrasings))
    await save_entry(db, entry, now=now, by=by)
    q.faq_entry_id = entry_id
    return entry_id


async def faq_from_question(ctx: Context, q: Question) -> Replies:
    """Add question `q` and its answer as an FAQ entry (other askers' wordings as phrasings)."""
    if q.faq_entry_id is not None:
        return Reply(f"Pertanyaan #{q.id} sudah menjadi entri FAQ "
                     f"<code>{esc(q.faq_entry_id)}</code>.")
    try:
        entry_id = await make_faq_entry(ctx.db, q, now=ctx.now,
                                        by=f"{ctx.incoming.channel}:{ctx.incoming.user_id}")
    except FaqFormatError as exc:
        return Reply(f"❌ Entri FAQ tidak dibuat: <code>{esc(exc)}</code>")
    return Reply(
        f"📚 Pertanyaan #{q.id} ditambahkan ke FAQ sebagai <code>{entry_id}</code>. "
        f"Mulai sekarang bot menjawab pertanyaan serupa secara langsung.\n\n"
        f"Lihat: /faq lihat {entry_id}\nUbah (frasa lain, kata kunci): /faq ubah {entry_id}"
    )


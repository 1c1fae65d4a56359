"""Free text is asked of the FAQ: a clear answer, a few candidates, or an honest "not known"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.callbacks import CallbackData
from core.text import MAX_INPUT, esc
from core.types import Button, Reply
from db.models import FaqLookup
from handlers.faq_entries import FaqEntry
from handlers.faq_match import FaqIndex
from handlers.questions import SendToAgency
from handlers.router import Context, Replies, Router

__all__ = ["FaqPick", "FaqVote", "NoThanks", "router"]

router = Router("faq")

HELPFUL = "Apakah jawaban ini membantu?"
STALE = "Tombol ini sudah tidak berlaku."


@dataclass(frozen=True)
class FaqPick(CallbackData):
    """One of the candidate entries offered for an ambiguous question."""

    prefix: ClassVar[str] = "fqp"
    lookup: int
    entry: str


@dataclass(frozen=True)
class FaqVote(CallbackData):
    """👍 or 👎 under an answer."""

    prefix: ClassVar[str] = "fqv"
    lookup: int
    helpful: bool


@dataclass(frozen=True)
class NoThanks(CallbackData):
    """"No, thank you" to the offer of sending the question to the agency."""

    prefix: ClassVar[str] = "fqn"
    lookup: int


async def _index(ctx: Context) -> FaqIndex | None:
    service = ctx.deps.faq
    return await service.index(ctx.db)


def _answer_text(entry: FaqEntry) -> str:
    return f"<b>{esc(entry.question)}</b>\n\n{entry.answer}"


def _answer(ctx: Context, entry: FaqEntry, lookup: FaqLookup, *, edit: bool = False) -> Reply:
    return Reply(
        _answer_text(entry) + f"\n\n<i>{HELPFUL}</i>",
        buttons=[[ctx.button("👍 Ya", FaqVote(lookup.id, True)),
                  ctx.button("👎 Tidak", FaqVote(lookup.id, False))]],
        edit=edit,
    )


def _offer(ctx: Context, lookup: FaqLookup) -> list[Button]:
    return [ctx.button("📨 Kirim ke BPSDM", SendToAgency(lookup.id)),
            ctx.button("Tidak usah", NoThanks(lookup.id))]


@router.fallback()
async def ask_faq(ctx: Context) -> Replies:
    """Answer free text from the FAQ (greetings are greeted back)."""
    text = (ctx.incoming.text or "").strip()
    index = await _index(ctx)
    if not text or index is None:
        return None
    result = index.match(text)
    if result.greeting:
        name = ctx.person.full_name if ctx.person.registered else None
        hello = f"Halo, {esc(name)}! ☕" if name else "Halo, Bapak/Ibu! ☕"
        return Reply(
            f"{hello} Ada yang bisa kami bantu? Silakan ketik pertanyaan Bapak/Ibu, "
            "atau ketik /bantuan untuk daftar perintah."
        )
    lookup = FaqLookup(
        person_id=ctx.person.id, text=text[:MAX_INPUT], kind=result.kind,
        entry_id=result.entry_id, candidates=",".join(result.ids) or None,
        score=result.score, created_at=ctx.now,
    )
    ctx.db.add(lookup)
    await ctx.db.flush()
    if result.kind == "single":
        return _answer(ctx, index.entry(result.ids[0]), lookup)
    if result.kind == "several":
        buttons = [[ctx.button(index.entry(i).question, FaqPick(lookup.id, i))]
                   for i in result.ids]
        if ctx.person.registered:
            buttons.append([ctx.button("📨 Tanyakan ke BPSDM", SendToAgency(lookup.id))])
        return Reply("Mungkin yang Bapak/Ibu maksud salah satu pertanyaan berikut. "
                     "Silakan pilih:", buttons=buttons)
    if not ctx.person.registered:
        return Reply(
            "Maaf, saya belum menemukan jawaban untuk pertanyaan tersebut. 🙏\n\n"
            "Untuk bertanya langsung kepada admin BPSDM, silakan daftar dahulu dengan /mulai. "
            "Ketik /bantuan untuk daftar perintah."
        )
    return Reply(
        "Maaf, saya belum menemukan jawaban untuk pertanyaan tersebut di daftar tanya-jawab "
        "(FAQ). 🙏\n\nApakah Bapak/Ibu ingin mengirim pertanyaan ini kepada admin BPSDM? "
        "Jawabannya akan dikirim melalui chat ini.",
        buttons=[_offer(ctx, lookup)],
    )


async def _lookup(ctx: Context, lookup_id: int) -> FaqLookup | None:
    lookup = await ctx.db.get(FaqLookup, lookup_id)
    return lookup if lookup is not None and lookup.person_id == ctx.person.id else None


@router.callback(FaqPick)
async def pick(ctx: Context, data: FaqPick) -> Replies:
    """A candidate was chosen: answer with it."""
    lookup = await _lookup(ctx, data.lookup)
    index = await _index(ctx)
    if lookup is None or index is None:
        return Reply(text="", notice=STALE)
    try:
        entry = index.entry(data.entry)
    except KeyError:
        return Reply(text="", notice="Maaf, entri ini sudah tidak ada di FAQ.")
    lookup.entry_id = entry.id
    lookup.helpful = None  # a new answer: its own feedback
    return _answer(ctx, entry, lookup)


@router.callback(FaqVote)
async def vote(ctx: Context, data: FaqVote) -> Replies:
    """Record 👍/👎; after 👎, offer to send the question to the agency."""
    lookup = await _lookup(ctx, data.lookup)
    if lookup is None or lookup.entry_id is None:
        return Reply(text="", notice=STALE)
    lookup.helpful, lookup.feedback_at = data.helpful, ctx.now
    thanks = "Terima kasih atas masukannya! 🙏"
    replies: list[Reply] = []
    index = await _index(ctx)
    entry = None
    if index is not None:
        try:
            entry = index.entry(lookup.entry_id)
        except KeyError:
            entry = None
    if ctx.deps.channels[ctx.incoming.channel].can_edit and entry is not None:
        # A channel that edits can replace the question under the answer; others would
        # resend the whole answer, so they get the thanks alone.
        mark = "👍" if data.helpful else "👎"
        replies.append(Reply(_answer_text(entry) + f"\n\n<i>{HELPFUL}</i> {mark}",
                             edit=True, notice=thanks))
    else:
        replies.append(Reply(text="", notice=thanks))
    if not data.helpful and ctx.person.registered and lookup.question_id is None:
        replies.append(Reply(
            "Maaf jawabannya belum membantu. Apakah Bapak/Ibu ingin mengirim pertanyaan "
            "tersebut kepada admin BPSDM?",
            buttons=[_offer(ctx, lookup)],
        ))
    return replies


@router.callback(NoThanks)
async def no_thanks(ctx: Context, data: NoThanks) -> Replies:
    """The person does not want the question sent on."""
    return Reply("Baik. Bila ada pertanyaan lain, silakan ketik saja, atau ketik /bantuan.",
                 edit=ctx.deps.channels[ctx.incoming.channel].can_edit)

"""Admins keep the FAQ from the chat (/faq, a YAML file) and see how it does (/faqstat)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import ClassVar

import yaml
from sqlalchemy import case, func, select

from core.callbacks import CallbackData
from core.text import esc, split_text
from core.types import Attachment, Reply
from db.models import FaqLookup, Question
from handlers.faq_entries import MAX_ANSWER, MAX_ID, MAX_QUESTION, FaqEntry, FaqFormatError
from handlers.faq_match import dump_entries, load_entries
from handlers.faq_prune import offer_prune
from handlers.faq_store import delete_entry, import_entries, save_entry, stored_entries
from handlers.questions import faq_from_question
from handlers.router import Context, Replies, Router

__all__ = ["FaqDelete", "FaqEditField", "new_entry_id", "router"]

log = logging.getLogger(__name__)

router = Router("faq-admin", admin=True)

FLOW = "admin-faq"
MAX_FAQ_BYTES = 1024 * 1024
STATS_DAYS = 30
FIELDS = {
    "question": "pertanyaan",
    "answer": "jawaban",
    "phrasings": "frasa lain",
    "keywords": "kata kunci",
}
USAGE = (
    "📚 <b>Pengelolaan FAQ</b> ({count} entri)\n\n"
    "/faq daftar — semua entri\n"
    "/faq lihat ID — isi satu entri\n"
    "/faq tambah — tambah entri (tanya-jawab singkat)\n"
    "/faq ubah ID — ubah pertanyaan, jawaban, frasa lain atau kata kunci\n"
    "/faq hapus ID — hapus entri\n"
    "/faq dari NOMOR — jadikan pertanyaan peserta yang sudah dijawab sebagai entri\n"
    "/faq ekspor — unduh seluruh FAQ sebagai berkas YAML\n"
    "/faqstat — entri dengan 👎 terbanyak dan pertanyaan yang tidak terjawab\n\n"
    "Mengirim berkas <code>faq.yaml</code> (format yang sama dengan hasil ekspor) "
    "menambah dan memperbarui entrinya; entri yang tidak ada di berkas hanya dihapus setelah "
    "Bapak/Ibu konfirmasi."
)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FaqEditField(CallbackData):
    """Which field of an entry an admin wants to change."""

    prefix: ClassVar[str] = "fqe"
    entry: str
    field: str


@dataclass(frozen=True)
class FaqDelete(CallbackData):
    """The answer to "delete this entry?"."""

    prefix: ClassVar[str] = "fqd"
    entry: str
    yes: bool


def _by(ctx: Context) -> str:
    return f"{ctx.incoming.channel}:{ctx.incoming.user_id}"


def _show(entry: FaqEntry) -> str:
    lines = [
        f"📄 <code>{esc(entry.id)}</code>",
        f"<b>{esc(entry.question)}</b>",
        "",
        entry.answer,
        "",
        "<b>Frasa lain:</b> " + ("; ".join(esc(p) for p in entry.phrasings) or "—"),
        "<b>Kata kunci:</b> " + (", ".join(esc(k) for k in entry.keywords) or "—"),
    ]
    return "\n".join(lines)


async def _find(ctx: Context, entry_id: str) -> FaqEntry | None:
    return next((e for e in await stored_entries(ctx.db) if e.id == entry_id), None)


@router.command("faq", description="Kelola FAQ: /faq tambah, /faq ubah ID, …",
                max_len=MAX_ANSWER + 100,
                args=r"(daftar|list|tambah|ekspor|export)|(lihat|ubah|hapus)\s+\S+|dari\s+#?\d+")
async def faq(ctx: Context) -> Replies:
    """The /faq subcommands."""
    word, _, rest = ctx.args.strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("daftar", "list"):
        entries = await stored_entries(ctx.db)
        text = "📚 <b>Entri FAQ</b>\n\n" + "\n".join(
            f"• <code>{esc(e.id)}</code> — {esc(e.question)}" for e in entries
        )
        return [Reply(part) for part in split_text(text, 3500)]
    if word in ("lihat", "ubah", "hapus"):
        entry = await _find(ctx, rest.lower())
        if entry is None:
            return Reply(f"Entri <code>{esc(rest or '?')}</code> tidak ada. Lihat /faq daftar.")
        if word == "lihat":
            return Reply(_show(entry))
        if word == "hapus":
            return Reply(
                _show(entry) + "\n\n⚠️ Hapus entri ini?",
                buttons=[[ctx.button("🗑 Ya, hapus", FaqDelete(entry.id, True)),
                          ctx.button("Batal", FaqDelete(entry.id, False))]],
            )
        return Reply(
            _show(entry) + "\n\nBagian mana yang ingin diubah?",
            buttons=[[ctx.button(f"✏️ {label.capitalize()}", FaqEditField(entry.id, field))]
                     for field, label in FIELDS.items()],
        )
    if word == "tambah":
        await ctx.set_state(FLOW, "question", {"mode": "add"})
        return Reply(
            "➕ <b>Entri FAQ baru</b> (1/4)\n\nKetik <b>pertanyaannya</b>, seperti yang akan "
            f"ditampilkan kepada peserta (maksimal {MAX_QUESTION} karakter).\n\n"
            "Ketik /batal untuk membatalkan."
        )
    if word == "dari":
        number = rest.lstrip("#")
        q = await ctx.db.get(Question, int(number)) if number.isdigit() else None
        if q is None:
            return Reply("Contoh: <code>/faq dari 12</code> (nomor pertanyaan yang sudah dijawab).")
        if q.status != "answered":
            return Reply(f"Pertanyaan #{q.id} belum dijawab. Jawab dulu dengan /jawab {q.id} …")
        return await faq_from_question(ctx, q)
    if word in ("ekspor", "export"):
        data = dump_entries(await stored_entries(ctx.db)).encode()
        return Reply("📚 FAQ saat ini. Ubah berkasnya, lalu kirim kembali untuk mengimpor.",
                     document=Attachment("faq.yaml", "application/yaml", len(data), content=data))
    count = len(await stored_entries(ctx.db))
    return Reply(USAGE.format(count=count))


@router.callback(FaqEditField)
async def edit_field(ctx: Context, data: FaqEditField) -> Replies:
    """Ask the new value of one field."""
    entry = await _find(ctx, data.entry)
    if entry is None or data.field not in FIELDS:
        return Reply(text="", notice="Entri ini sudah tidak ada.")
    await ctx.set_state(FLOW, data.field, {"mode": "edit", "id": entry.id})
    hints = {
        "question": f"Ketik pertanyaan yang baru (maksimal {MAX_QUESTION} karakter).",
        "answer": f"Ketik jawaban yang baru (maksimal {MAX_ANSWER} karakter, teks biasa).",
        "phrasings": "Ketik frasa lain (cara lain orang menanyakannya), <b>satu per baris</b>. "
                     "Ini mengganti daftar yang lama; ketik - untuk mengosongkan.",
        "keywords": "Ketik kata kunci, dipisah koma. Ini mengganti daftar yang lama; "
                    "ketik - untuk mengosongkan.",
    }
    return Reply(f"✏️ <code>{esc(entry.id)}</code>: {hints[data.field]}\n\n"
                 "Ketik /batal untuk membatalkan.")


@router.callback(FaqDelete)
async def delete(ctx: Context, data: FaqDelete) -> Replies:
    """Delete an entry, or not."""
    if not data.yes:
        return Reply("Entri tidak dihapus.")
    try:
        deleted = await delete_entry(ctx.db, data.entry)
    except FaqFormatError:
        return Reply("Entri terakhir tidak dapat dihapus: FAQ tidak boleh kosong.")
    if not deleted:
        return Reply(text="", notice="Entri ini sudah tidak ada.")
    return Reply(f"🗑 Entri <code>{esc(data.entry)}</code> dihapus dari FAQ.")


def _lines(text: str) -> tuple[str, ...]:
    if text.strip() == "-":
        return ()
    return tuple(dict.fromkeys(" ".join(t.split()) for t in text.splitlines() if t.strip()))


def _keywords(text: str) -> tuple[str, ...]:
    if text.strip() == "-":
        return ()
    return tuple(dict.fromkeys(" ".join(t.split()) for t in re.split(r"[,\n]", text)
                               if t.strip()))


def _check(field: str, text: str) -> str | None:
    """An Indonesian reason the value cannot be used, or None."""
    if not text.strip():
        return "Isinya masih kosong. Silakan ketik lagi."
    if field == "question" and len(text.strip()) > MAX_QUESTION:
        return f"Pertanyaan terlalu panjang (maksimal {MAX_QUESTION} karakter). Silakan ketik lagi."
    if field == "answer" and len(esc(text.strip())) > MAX_ANSWER:
        return f"Jawaban terlalu panjang (maksimal {MAX_ANSWER} karakter). Silakan ketik lagi."
    return None


def new_entry_id(question: str, taken: set[str]) -> str:
    """An id for a new entry from its question ("kapan-sertifikat-terbit"), not in `taken`."""
    slug = _SLUG.sub("-", question.lower()).strip("-")[:MAX_ID].strip("-") or "entri"
    if slug not in taken:
        return slug
    for n in range(2, 1000):
        candidate = f"{slug[: MAX_ID - len(str(n)) - 1].strip('-')}-{n}"
        if candidate not in taken:
            return candidate
    raise FaqFormatError("no free id")


@router.flow(FLOW)
async def flow_step(ctx: Context) -> Replies:
    """A value typed while adding or editing an entry."""
    assert ctx.state is not None
    step, data = ctx.state.step, dict(ctx.state.data)
    text = ctx.incoming.text or ""
    problem = _check(step, text)
    if problem:
        return Reply(problem)
    if data.get("mode") == "edit":
        entry = await _find(ctx, str(data.get("id")))
        if entry is None:
            await ctx.clear_state()
            return Reply("Entri ini sudah tidak ada.")
        if step == "question":
            entry = replace(entry, question=" ".join(text.split()))
        elif step == "answer":
            entry = replace(entry, answer=esc(text.strip()))
        elif step == "phrasings":
            entry = replace(entry, phrasings=_lines(text))
        else:
            entry = replace(entry, keywords=_keywords(text))
        return await _save(ctx, entry, new=False)
    # Adding: question → answer → phrasings → keywords.
    if step == "question":
        data["question"] = " ".join(text.split())
        await ctx.set_state(FLOW, "answer", data)
        return Reply("(2/4) Ketik <b>jawabannya</b> (teks biasa, maksimal "
                     f"{MAX_ANSWER} karakter).")
    if step == "answer":
        data["answer"] = esc(text.strip())
        await ctx.set_state(FLOW, "phrasings", data)
        return Reply("(3/4) Ketik <b>frasa lain</b>: cara lain peserta menanyakan hal yang sama, "
                     "satu per baris (misalnya bahasa sehari-hari). Ketik - bila tidak ada.")
    if step == "phrasings":
        data["phrasings"] = list(_lines(text))
        await ctx.set_state(FLOW, "keywords", data)
        return Reply("(4/4) Ketik <b>kata kunci</b> yang khas untuk entri ini, dipisah koma. "
                     "Ketik - bila tidak ada.")
    taken = {e.id for e in await stored_entries(ctx.db)}
    question = str(data["question"])
    raw_phrasings = data.get("phrasings")
    entry = FaqEntry(
        id=new_entry_id(question, taken), question=question, answer=str(data["answer"]),
        phrasings=tuple(str(p) for p in raw_phrasings) if isinstance(raw_phrasings, list)
        else (),
        keywords=_keywords(text),
    )
    return await _save(ctx, entry, new=True)


async def _save(ctx: Context, entry: FaqEntry, *, new: bool) -> Replies:
    try:
        await save_entry(ctx.db, entry, now=ctx.now, by=_by(ctx))
    except FaqFormatError as exc:
        # Stay at this step: the admin can type another value or /batal.
        return Reply(f"❌ Belum disimpan: <code>{esc(exc)}</code>\n\nSilakan ketik lagi, "
                     "atau /batal.")
    await ctx.clear_state()
    head = "✅ Entri baru disimpan." if new else "✅ Entri diperbarui."
    return Reply(f"{head} Bot langsung memakainya.\n\n" + _show(entry))


# --- a whole FAQ as a YAML file ----------------------------------------------------------


def _looks_like_faq(data: bytes) -> bool:
    try:
        parsed = yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return (isinstance(parsed, list) and bool(parsed) and isinstance(parsed[0], dict)
            and "answer" in parsed[0])


@router.document()
async def faq_file(ctx: Context) -> Replies:
    """Import a FAQ YAML file an admin sent (adding and updating entries; removing those it
    lacks only after a confirmation), or leave the file be."""
    doc = ctx.incoming.document
    if doc is None or not doc.filename.lower().endswith((".yaml", ".yml")):
        return None
    named = "faq" in doc.filename.lower()
    if ctx.fetch_file is None:
        return Reply("Maaf, berkas tidak dapat diunduh pada saluran ini.") if named else None
    if doc.size is not None and doc.size > MAX_FAQ_BYTES:
        return Reply("Berkas FAQ terlalu besar (maksimal 1 MB).") if named else None
    try:
        data = await ctx.fetch_file(doc)
    except Exception:
        log.exception("downloading a FAQ file failed")
        return Reply("Maaf, berkas gagal diunduh. Silakan kirim ulang.") if named else None
    if not named and not _looks_like_faq(data):
        return None  # a calendar, most likely: the calendar handler takes it
    if len(data) > MAX_FAQ_BYTES:
        return Reply("Berkas FAQ terlalu besar (maksimal 1 MB).")
    try:
        entries = load_entries(data.decode("utf-8-sig"))
        report = await import_entries(ctx.db, entries, now=ctx.now, by=_by(ctx))
    except UnicodeDecodeError:
        return Reply("❌ <b>FAQ tidak diimpor</b>: berkas harus berupa teks UTF-8.")
    except FaqFormatError as exc:
        return Reply("❌ <b>FAQ tidak diimpor</b> (tidak ada yang diubah):\n"
                     f"<code>{esc(exc)}</code>")
    text = (
        f"✅ <b>FAQ diimpor</b>: {report.total} entri — {len(report.added)} baru, "
        f"{len(report.changed)} diubah, {report.unchanged} tetap."
    )
    more, buttons = await offer_prune(ctx, report.kept)
    return Reply(text + more, buttons=buttons)


# --- how the FAQ does --------------------------------------------------------------------


@router.command("faqstat", description="Statistik FAQ: 👎 terbanyak, pertanyaan tak terjawab")
async def faqstat(ctx: Context) -> Replies:
    """Lookups of the last 30 days: outcomes, the entries with most 👎, what found no answer."""
    since = ctx.now - timedelta(days=STATS_DAYS)
    s = ctx.db
    recent = FaqLookup.created_at >= since
    kinds = dict((await s.execute(
        select(FaqLookup.kind, func.count()).where(recent).group_by(FaqLookup.kind)
    )).all())
    total = sum(kinds.values())
    up = func.sum(case((FaqLookup.helpful.is_(True), 1), else_=0))
    down = func.sum(case((FaqLookup.helpful.is_(False), 1), else_=0))
    votes = (await s.execute(select(up, down).where(recent))).one()
    worst = (await s.execute(
        select(FaqLookup.entry_id, down.label("down"), up.label("up"))
        .where(recent, FaqLookup.entry_id.is_not(None))
        .group_by(FaqLookup.entry_id)
        .having(down > 0)
        .order_by(down.desc(), up, FaqLookup.entry_id)
        .limit(5)
    )).all()
    text_key = func.lower(FaqLookup.text)
    unanswered = (await s.execute(
        select(func.min(FaqLookup.text), func.count().label("n"), func.max(FaqLookup.created_at))
        .where(recent, FaqLookup.kind == "none", FaqLookup.text != "")  # "": erased
        .group_by(text_key)
        .order_by(func.count().desc(), func.max(FaqLookup.created_at).desc())
        .limit(10)
    )).all()
    open_count = await s.scalar(
        select(func.count()).select_from(Question).where(Question.status == "open")
    )
    known = {e.id for e in await stored_entries(s)}

    def pct(n: int) -> str:
        return f"{n} ({n / total:.0%})" if total else "0"

    lines = [
        f"📊 <b>Statistik FAQ</b> ({STATS_DAYS} hari terakhir)", "",
        f"Pesan ke FAQ: {total}",
        f"• dijawab langsung: {pct(kinds.get('single', 0))}",
        f"• diberi pilihan: {pct(kinds.get('several', 0))}",
        f"• tidak ditemukan: {pct(kinds.get('none', 0))}",
        f"Penilaian: 👍 {votes[0] or 0} · 👎 {votes[1] or 0}",
        f"Pertanyaan peserta menunggu jawaban: {open_count or 0} (/pertanyaan)",
        "", "<b>Entri dengan 👎 terbanyak</b>",
    ]
    lines += [
        f"• <code>{esc(eid)}</code>{'' if eid in known else ' (sudah dihapus)'}: "
        f"👎 {d} · 👍 {u}"
        for eid, d, u in worst
    ] or ["• belum ada"]
    lines += ["", "<b>Pesan yang tidak menemukan jawaban</b>"]
    lines += [
        f"• {esc(' '.join(t.split())[:150])}" + (f" ({n}×)" if n > 1 else "")
        for t, n, _last in unanswered
    ] or ["• belum ada"]
    return Reply("\n".join(lines))

"""FAQ: the entries (search, add, edit, delete) and "coba pertanyaan": which entry a question
matches, and how confidently."""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import Konsol, Who, int_arg, text_of
from db.models import FaqEntryRow
from db.paging import page_of
from handlers.faq_admin import new_entry_id
from handlers.faq_entries import MAX_ANSWER, MAX_QUESTION, FaqEntry, FaqFormatError
from handlers.faq_store import delete_entry, save_entry, stored_entries

__all__ = ["routes"]

_KINDS = {"single": "Dijawab langsung", "several": "Diberi pilihan (kurang yakin)",
          "none": "Tidak ditemukan (diteruskan ke /tanya)"}


async def listing(k: Konsol, request: Request, who: Who) -> Response:
    """Entries in file order, searched by id, question or answer, a page at a time."""
    text = " ".join(request.query_params.get("q", "").split())[:100]
    query = select(FaqEntryRow).order_by(FaqEntryRow.position, FaqEntryRow.id)
    if text:
        needle = text.lower()
        query = query.where(or_(*(func.lower(col).contains(needle, autoescape=True)
                                  for col in (FaqEntryRow.id, FaqEntryRow.question,
                                              FaqEntryRow.answer))))
    async with k.sessions() as db:
        page = await page_of(db, query, int_arg(request, "hal"), scalars=True)
    return k.render(request, "faq.html", who, page=page, q=text)


async def try_question(k: Konsol, request: Request, who: Who) -> Response:
    """What the bot would answer to a question (an htmx fragment)."""
    text = request.query_params.get("pertanyaan", "").strip()[:1000]
    result, ranked, entries = None, [], {}
    if text:
        async with k.sessions() as db:
            index = await k.deps.faq.index(db)
        if index is not None:
            result = index.match(text)
            ranked = index.rank(text)[:5]
            entries = {e.id: e for e in index.entries}
    return k.render(request, "_faq_try.html", who, text=text, result=result, ranked=ranked,
                    entries=entries, kinds=_KINDS)


def _entry_form(k: Konsol, request: Request, who: Who, *, entry: FaqEntry | None,
                values: dict[str, str], error: str = "", status: int = 200,
                ok: bool = False) -> Response:
    return k.render(request, "faq_form.html", who, entry=entry, values=values, error=error,
                    status=status, ok=ok, max_answer=MAX_ANSWER, max_question=MAX_QUESTION)


def _values(entry: FaqEntry) -> dict[str, str]:
    return {"question": entry.question, "answer": entry.answer,
            "phrasings": "\n".join(entry.phrasings), "keywords": ", ".join(entry.keywords)}


async def _find(k: Konsol, entry_id: str) -> FaqEntry | None:
    async with k.sessions() as db:
        return next((e for e in await stored_entries(db) if e.id == entry_id), None)


async def new_form(k: Konsol, request: Request, who: Who) -> Response:
    """An empty entry."""
    return _entry_form(k, request, who, entry=None, values={})


async def edit_form(k: Konsol, request: Request, who: Who) -> Response:
    """An entry's form."""
    entry = await _find(k, request.path_params["eid"])
    if entry is None:
        return k.problem(request, who, 404, "Entri tidak ditemukan", "Entri FAQ ini tidak ada.")
    return _entry_form(k, request, who, entry=entry, values=_values(entry),
                       ok=bool(request.query_params.get("ok")))


def _lines(text: str, split: str) -> tuple[str, ...]:
    parts = re.split(split, text)
    return tuple(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


async def save(k: Konsol, request: Request, who: Who) -> Response:
    """Add or change an entry, checked against the whole FAQ as an import is."""
    form = await k.form(request)
    values = {name: text_of(form, name, 10_000)
              for name in ("question", "answer", "phrasings", "keywords")}
    eid = request.path_params.get("eid")
    existing = await _find(k, eid) if eid else None
    if eid and existing is None:
        return k.problem(request, who, 404, "Entri tidak ditemukan", "Entri FAQ ini tidak ada.")
    async with k.sessions() as db, db.begin():
        taken = {e.id for e in await stored_entries(db)}
        entry_id = eid or new_entry_id(values["question"] or "entri", taken)
        entry = FaqEntry(id=entry_id, question=" ".join(values["question"].split()),
                         answer=values["answer"], phrasings=_lines(values["phrasings"], r"\n"),
                         keywords=_lines(values["keywords"], r"[,\n]"))
        try:
            if not entry.question or not entry.answer:
                raise FaqFormatError("pertanyaan dan jawaban wajib diisi")
            await save_entry(db, entry, now=k.now(), by=who.actor)
        except FaqFormatError as exc:
            await db.rollback()
            return _entry_form(k, request, who, entry=existing, values=values, error=str(exc),
                               status=422)
        await k.audit(who, "faq_edit" if eid else "faq_add", f"konsol: FAQ {entry_id}", db=db)
    return k.back(f"/konsol/faq/{entry_id}?ok=1")


async def delete(k: Konsol, request: Request, who: Who) -> Response:
    """Delete an entry (never the last one)."""
    eid = request.path_params["eid"]
    try:
        async with k.sessions() as db, db.begin():
            if await delete_entry(db, eid):
                await k.audit(who, "faq_delete", f"konsol: FAQ {eid}", db=db)
    except FaqFormatError:
        return k.problem(request, who, 409, "Tidak dihapus",
                         "Entri terakhir tidak dapat dihapus: FAQ tidak boleh kosong.")
    return k.back("/konsol/faq")


def routes(k: Konsol) -> list[Route]:
    """The FAQ pages."""
    return [
        k.route("/faq", listing),
        k.route("/faq/coba", try_question),
        k.route("/faq/baru", new_form),
        k.route("/faq/baru", save, methods=("POST",)),
        k.route("/faq/{eid}", edit_form),
        k.route("/faq/{eid}", save, methods=("POST",)),
        k.route("/faq/{eid}/hapus", delete, methods=("POST",)),
    ]

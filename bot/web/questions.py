"""Pertanyaan: the inbox oldest first, grouped as in chat; answer (relayed as in chat); turn
an answer into an FAQ entry."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import Konsol, Who, int_arg, text_of
from db.models import Question
from db.paging import PAGE_SIZE, Page, page_of
from handlers.faq_entries import FaqFormatError
from handlers.questions import MAX_REPLY_ANSWER, answer_question, make_faq_entry
from handlers.questions_store import askers_of, open_questions

__all__ = ["routes"]


async def inbox(k: Konsol, request: Request, who: Who) -> Response:
    """Open questions oldest first (one line per group), or the answered ones latest first."""
    answered = request.query_params.get("status") == "dijawab"
    number = int_arg(request, "hal")
    async with k.sessions() as db:
        if answered:
            query = select(Question).where(Question.status == "answered") \
                .order_by(Question.answered_at.desc(), Question.id.desc())
            page = await page_of(db, query, number, scalars=True)
        else:
            _first, total = await open_questions(db, 0)
            pages = max(1, -(-total // PAGE_SIZE))
            number = min(number, pages)
            found, total = await open_questions(db, PAGE_SIZE, (number - 1) * PAGE_SIZE)
            page = Page(found, number, PAGE_SIZE, total)
    return k.render(request, "questions.html", who, page=page, answered=answered)


async def detail(k: Konsol, request: Request, who: Who) -> Response:
    """One question with everyone who asked it (personal data: the view is audited)."""
    qid = int(request.path_params["qid"])
    async with k.sessions() as db:
        q = await db.get(Question, qid)
        if q is None:
            return k.problem(request, who, 404, "Pertanyaan tidak ditemukan",
                             f"Tidak ada pertanyaan #{qid}.")
        askers = await askers_of(db, qid)
    people = ", ".join(f"person:{p.id}" for _a, p in askers)
    await k.audit(who, "view_question", f"konsol: pertanyaan #{qid}: {people}", len(askers))
    return k.render(request, "question.html", who, q=q, askers=askers,
                    ok=request.query_params.get("ok", ""), error="", draft="",
                    limit=MAX_REPLY_ANSWER)


async def answer(k: Konsol, request: Request, who: Who) -> Response:
    """Record the answer and relay it to every asker through the outbox, as in chat."""
    qid = int(request.path_params["qid"])
    form = await k.form(request)
    text = text_of(form, "jawaban", MAX_REPLY_ANSWER + 1000)
    error = ""
    if not text:
        error = "Tulis jawabannya dahulu."
    elif len(text) > MAX_REPLY_ANSWER:
        error = f"Jawaban terlalu panjang (maksimal {MAX_REPLY_ANSWER} karakter)."
    sent = 0
    async with k.sessions() as db, db.begin():
        q = await db.get(Question, qid)
        if q is None:
            return k.problem(request, who, 404, "Pertanyaan tidak ditemukan",
                             f"Tidak ada pertanyaan #{qid}.")
        if not error and q.status != "open":
            error = "Pertanyaan ini sudah dijawab sebelumnya (oleh admin lain?)."
        if not error:
            sent = await answer_question(db, k.deps.signer, q, text, now=k.now(), by=who.actor)
            await k.audit(who, "answer", f"konsol: pertanyaan #{qid} dijawab, dikirim kepada "
                                         f"{sent} penanya", sent, db=db)
        askers = await askers_of(db, qid)
    if error:
        return k.render(request, "question.html", who, q=q, askers=askers, ok="", error=error,
                        draft=text, limit=MAX_REPLY_ANSWER, status=422)
    return k.back(f"/konsol/pertanyaan/{qid}?ok={sent}")


async def to_faq(k: Konsol, request: Request, who: Who) -> Response:
    """Make an answered question an FAQ entry (other askers' wordings as phrasings)."""
    qid = int(request.path_params["qid"])
    async with k.sessions() as db, db.begin():
        q = await db.get(Question, qid)
        if q is None or q.status != "answered":
            return k.problem(request, who, 409, "Belum dijawab",
                             "Hanya pertanyaan yang sudah dijawab dapat dijadikan entri FAQ.")
        if q.faq_entry_id is not None:
            return k.back(f"/konsol/faq/{q.faq_entry_id}")
        try:
            entry_id = await make_faq_entry(db, q, now=k.now(), by=who.actor)
        except FaqFormatError as exc:
            return k.problem(request, who, 422, "Entri FAQ tidak dibuat", str(exc))
        await k.audit(who, "faq_from_question", f"konsol: pertanyaan #{qid} → FAQ {entry_id}",
                      db=db)
    return k.back(f"/konsol/faq/{entry_id}?ok=1")


def routes(k: Konsol) -> list[Route]:
    """The question pages."""
    return [
        k.route("/pertanyaan", inbox),
        k.route("/pertanyaan/{qid:int}", detail),
        k.route("/pertanyaan/{qid:int}/jawab", answer, methods=("POST",)),
        k.route("/pertanyaan/{qid:int}/faq", to_faq, methods=("POST",)),
    ]

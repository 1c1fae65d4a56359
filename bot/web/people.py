"""Peserta: search by name, NIP or instansi; a person's profile, attendance, certificates,
quiz results and questions; erase on request. Every view of personal data is audited (people
named `person:<id>`)."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.konsol import Konsol, Who, int_arg, text_of
from db.directory import (
    identities_of,
    jp_of,
    people_query,
    person_attendance_query,
    person_certificates_query,
    person_questions_query,
)
from db.learning import quiz_scores
from db.models import Person
from db.paging import page_of
from handlers.erasure import erase_everywhere
from schedules.session_rules import pass_mark

__all__ = ["routes"]


async def search(k: Konsol, request: Request, who: Who) -> Response:
    """People by name, a page at a time."""
    text = " ".join(request.query_params.get("q", "").split())[:100]
    async with k.sessions() as db:
        page = await page_of(db, people_query(text), int_arg(request, "hal"), scalars=True)
    await k.audit(who, "view_people", f"konsol: cari peserta hal. {page.number}: "
                                      + ", ".join(f"person:{p.id}" for p in page.rows),
                  len(page.rows))
    return k.render(request, "people.html", who, page=page, q=text)


async def profile(k: Konsol, request: Request, who: Who) -> Response:
    """One person: profile, chat accounts, attendance and certificates (paged), this year's
    quizzes, questions."""
    pid = int(request.path_params["pid"])
    year = k.today().year
    async with k.sessions() as db:
        person = await db.get(Person, pid)
        if person is None:
            return k.problem(request, who, 404, "Peserta tidak ditemukan", "Tidak ada peserta ini.")
        identities = await identities_of(db, pid)
        attended = await page_of(db, person_attendance_query(pid), int_arg(request, "hal"))
        questions = await page_of(db, person_questions_query(pid), 1, size=10)
        jp = (await jp_of(db, [pid], year)).get(pid)
        certificates = await page_of(db, person_certificates_query(pid),
                                     int_arg(request, "sert"), size=10, scalars=True)
        quizzes = await quiz_scores(db, pid, date(year, 1, 1), date(year, 12, 31))
    await k.audit(who, "view_person", f"konsol: profil person:{pid}", 1)
    config = k.deps.config.certificates
    return k.render(request, "person.html", who, p=person, identities=identities,
                    attended=attended, questions=questions, jp=jp, year=year,
                    erased=request.query_params.get("dihapus") == "1",
                    certificates=certificates,
                    verify=config.verify_url if config.enabled else None,
                    quizzes=[(q, q.right >= pass_mark(q.questions)) for q in quizzes])


async def erase(k: Konsol, request: Request, who: Who) -> Response:
    """Erase a person's personal data on their request (confirmed on the form)."""
    pid = int(request.path_params["pid"])
    form = await k.form(request)
    if text_of(form, "yakin") != "HAPUS":
        return k.problem(request, who, 422, "Belum dihapus",
                         "Ketik HAPUS (huruf besar) di kotak konfirmasi untuk menghapus data.")
    async with k.sessions() as db, db.begin():
        person = await db.get(Person, pid)
        if person is None:
            return k.problem(request, who, 404, "Peserta tidak ditemukan", "Tidak ada peserta ini.")
        if person.erased_at is None:
            await erase_everywhere(db, k.deps.signer, person, k.now())
            await k.audit(who, "person_erase", f"konsol: data person:{pid} dihapus atas "
                                               "permintaan", 1, db=db)
    return k.back(f"/konsol/peserta/{pid}?dihapus=1")


def routes(k: Konsol) -> list[Route]:
    """The people pages."""
    return [
        k.route("/peserta", search),
        k.route("/peserta/{pid:int}", profile),
        k.route("/peserta/{pid:int}/hapus", erase, methods=("POST",)),
    ]

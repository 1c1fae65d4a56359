"""Pertanyaan and FAQ in the konsol: the inbox grouped, an answer relayed through the outbox,
an answer made an FAQ entry, entries edited, "coba pertanyaan"."""

from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEntry, FaqEntryRow, OutboxMessage, Person, Question
from handlers.questions_store import file_question
from tests.bot.web.konsol_client import KonsolClient
from tests.bot.web.seed import add_people


async def _ask(konsol: KonsolClient, person_ids: list[int], texts: list[str]) -> None:
    async with konsol.rt.sessions() as db, db.begin():
        for pid, text in zip(person_ids, texts, strict=True):
            person = await db.get(Person, pid)
            assert person is not None
            await file_question(db, person=person, text=text, channel="telegram",
                                chat_id=str(7345123000 + pid), now=konsol.rt.clock.now())


async def _actions(konsol: KonsolClient) -> list[str]:
    async with konsol.rt.sessions() as db:
        return list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_inbox_groups_and_an_answer_is_relayed(konsol: KonsolClient) -> None:
    ids = konsol.run(add_people, konsol.rt.sessions, konsol.rt.clock.now(), 2)
    konsol.run(_ask, konsol, ids, ["Kapan sertifikat ASN Belajar tanggal 5 Maret bisa diunduh?",
                                   "kapan sertifikat asn belajar tgl 5 maret bs di unduh??"])
    konsol.login()
    inbox = konsol.get("/konsol/pertanyaan")
    assert "2 orang" in inbox.text and "Peserta 1" not in inbox.text  # no names in the list
    one = konsol.get("/konsol/pertanyaan/1")
    assert "Peserta 1" in one.text and "bs di unduh??" in one.text
    assert "view_question" in konsol.run(_actions, konsol)
    empty = konsol.post("/konsol/pertanyaan/1/jawab", {"jawaban": " "})
    assert empty.status_code == 422
    done = konsol.post("/konsol/pertanyaan/1/jawab",
                       {"jawaban": "Sertifikat dapat diunduh mulai Senin, 10 Maret."})
    assert done.status_code == 200 and "dikirim kepada 2 penanya" in done.text

    async def relayed() -> list[str]:
        async with konsol.rt.sessions() as db:
            return list(await db.scalars(select(OutboxMessage.kind).where(
                OutboxMessage.kind == "answer")))

    assert konsol.run(relayed) == ["answer", "answer"]
    again = konsol.post("/konsol/pertanyaan/1/jawab", {"jawaban": "Lagi"})
    assert again.status_code == 422 and "sudah dijawab" in again.text
    made = konsol.post("/konsol/pertanyaan/1/faq")
    assert made.status_code == 200 and "tanya-1" in made.text

    async def question() -> Question | None:
        async with konsol.rt.sessions() as db:
            return await db.get(Question, 1)

    q = konsol.run(question)
    assert q is not None and q.faq_entry_id == "tanya-1" and q.answered_by == "telegram:9001"
    done_actions = [a for a in konsol.run(_actions, konsol)
                    if a not in ("konsol_login", "view_question")]
    assert done_actions == ["answer", "faq_from_question"]
    answered = konsol.get("/konsol/pertanyaan?status=dijawab")
    assert "#1" in answered.text


def test_faq_entries_are_added_edited_searched_and_tried(konsol: KonsolClient) -> None:
    konsol.login()
    listing = konsol.get("/konsol/faq")
    assert listing.status_code == 200 and " dari " in listing.text
    bad = konsol.post("/konsol/faq/baru", {"question": "Apa itu JP?", "answer": "<p>x</p>"})
    assert bad.status_code == 422 and "Belum disimpan" in bad.text
    saved = konsol.post("/konsol/faq/baru", {
        "question": "Berapa JP minimal setahun bagi PNS?",
        "answer": "Minimal <b>20 JP</b> per tahun (PP 17/2020).",
        "phrasings": "target jp setahun\njp wajib pns", "keywords": "jp, 20 jp"})
    assert saved.status_code == 200 and "Tersimpan" in saved.text

    async def row() -> FaqEntryRow | None:
        async with konsol.rt.sessions() as db:
            return await db.get(FaqEntryRow, "berapa-jp-minimal-setahun-bagi-p")

    found = konsol.run(row)
    assert found is not None and found.phrasings == ["target jp setahun", "jp wajib pns"]
    assert "berapa-jp-minimal" in konsol.get("/konsol/faq?q=minimal").text
    tried = konsol.get("/konsol/faq/coba?pertanyaan=target+jp+setahun+berapa")
    assert "berapa-jp-minimal-setahun-bagi-p" in tried.text and "skor" in tried.text
    gone = konsol.post("/konsol/faq/berapa-jp-minimal-setahun-bagi-p/hapus")
    assert gone.status_code == 200 and konsol.run(row) is None
    assert konsol.run(_actions, konsol)[-2:] == ["faq_add", "faq_delete"]

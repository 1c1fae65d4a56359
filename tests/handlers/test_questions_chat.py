"""ASN Bertanya, BPSDM Menjawab in the chat: /tanya, grouping, limits, admin answers, relay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bot.runtime import Runtime
from core.clock import FixedClock
from db.models import FaqEntryRow, FaqLookup, OutboxMessage, OutboxPayload, Question
from tests.auxil.chat import Chat, buttons, text
from tests.conftest import OWNER_ID


async def _person(rt: Runtime, user: str, name: str = "Budi Santoso") -> Chat:
    chat = Chat(rt, user)
    await chat.register(name=name, nip=f"1985071420100110{user[-2:]}")
    return chat


async def _outbox(rt: Runtime, kind: str) -> list[tuple[OutboxMessage, dict[str, Any]]]:
    async with rt.sessions() as s:
        rows = await s.execute(
            select(OutboxMessage, OutboxPayload.body)
            .join(OutboxPayload, OutboxPayload.id == OutboxMessage.payload_id)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return [(m, dict(body)) for m, body in rows.all()]


async def test_tanya_files_the_question_and_tells_the_admins_without_the_nip(
    runtime: Runtime,
) -> None:
    person = await _person(runtime, "5001")
    received = await person.say("/tanya Apakah sertifikat ASN Belajar bisa dipakai untuk SKP?")
    assert "sudah kami terima dengan nomor <b>#1</b>" in text(received)
    notices = await _outbox(runtime, "question")
    assert [(m.channel, m.chat_id) for m, _ in notices] == [("telegram", OWNER_ID)]
    body = notices[0][1]["text"]
    assert body.startswith("📨 <b>Pertanyaan #1</b>")
    assert "Budi Santoso — Dinas Pendidikan Kab. Sidoarjo" in body
    assert "bisa dipakai untuk SKP?" in body
    assert "198507142010011001" not in body  # the NIP stays private


async def test_the_keyboard_button_asks_for_the_question_first(runtime: Runtime) -> None:
    person = await _person(runtime, "5001")
    prompt = await person.say("❓ Tanya")
    assert "Silakan ketik pertanyaan" in text(prompt) and "maksimal 500 karakter" in text(prompt)
    assert "terlalu panjang (maksimal 500 karakter)" in text(await person.say("x " * 300))
    done = await person.say("Kapan jadwal ASN Mengaji bulan depan diumumkan?")
    assert "#1" in text(done)
    assert "Halo" in text(await person.say("halo"))  # out of the flow again


async def test_very_long_questions_are_refused_with_the_limit(runtime: Runtime) -> None:
    person = await _person(runtime, "5001")
    refused = await person.say("/tanya " + "Mohon penjelasan " * 40)
    assert "terlalu panjang (maksimal 500 karakter)" in text(refused)
    async with runtime.sessions() as s:
        assert (await s.execute(select(Question))).first() is None


async def test_rate_limit_per_person(runtime: Runtime, clock: FixedClock) -> None:
    person = await _person(runtime, "5001")
    for i in range(5):
        assert f"#{i + 1}" in text(await person.say(f"/tanya Pertanyaan nomor {i + 1} apa?"))
        clock.advance(timedelta(minutes=5))
    refused = await person.say("/tanya Pertanyaan keenam?")
    assert "sudah mengirim 5 pertanyaan dalam satu jam" in text(refused)
    assert "setelah pukul 09.00 WIB" in text(refused)  # the first was at 08.00 WIB
    other = await _person(runtime, "5002", "Siti Aminah")
    assert "#6" in text(await other.say("/tanya Pertanyaan keenam?"))  # per person
    clock.advance(timedelta(minutes=40))  # 09.00 WIB: the first one leaves the window
    assert "#6" in text(await person.say("/tanya Pertanyaan keenam?"))  # joins Siti's


async def test_the_same_question_is_grouped_and_one_answer_reaches_everyone(
    runtime: Runtime,
) -> None:
    budi = await _person(runtime, "5001")
    siti = await _person(runtime, "5002", "Siti Aminah")
    await budi.say("/tanya Kapan sertifikat ASN Belajar tanggal 5 Maret bisa diunduh?")
    joined = await siti.say("/tanya kapan sertifikat asn belajar tgl 5 maret bs di unduh??")
    assert "#1" in text(joined) and "sudah diajukan peserta lain" in text(joined)
    again = await budi.say("/tanya Kapan sertifikat ASN Belajar tanggal 5 Maret bisa diunduh")
    assert "sudah Bapak/Ibu kirim sebelumnya" in text(again)
    assert len(await _outbox(runtime, "question")) == 1  # the admins are told once
    admin = Chat(runtime, OWNER_ID)
    listed = text(await admin.say("/pertanyaan"))
    assert "#1" in listed and "2 penanya" in listed
    done = await admin.say("/jawab 1 Sertifikat dapat diunduh mulai Senin, 10 Maret.")
    assert "dikirim kepada 2 penanya" in text(done)
    answers = await _outbox(runtime, "answer")
    assert [m.chat_id for m, _ in answers] == ["5001", "5002"]
    siti_body = answers[1][1]
    assert "tgl 5 maret bs di unduh??" in siti_body["text"]  # her own words are quoted
    assert "mulai Senin, 10 Maret." in siti_body["text"]
    template = siti_body["template"]
    assert template["kind"] == "answer"
    assert template["params"] == ["kapan sertifikat asn belajar tgl 5 maret bs di unduh??",
                                  "Sertifikat dapat diunduh mulai Senin, 10 Maret."]
    # "Baca selengkapnya" (the template's quick reply, signed for Siti) sends it in full.
    more = await siti.press_data(template["quick_replies"][0])
    assert "mulai Senin, 10 Maret." in text(more) and "tgl 5 maret" in text(more)
    assert "tidak berlaku" in text(await budi.press_data(template["quick_replies"][0]))
    assert "sudah dijawab sebelumnya" in text(await admin.say("/jawab 1 Lagi."))
    assert "Tidak ada pertanyaan" in text(await admin.say("/pertanyaan"))


async def test_people_cannot_answer_or_list_questions(runtime: Runtime) -> None:
    person = await _person(runtime, "5001")
    await person.say("/tanya Apakah ada sesi hari Sabtu?")
    assert "hanya untuk admin" in text(await person.say("/jawab 1 Tidak ada."))
    assert "hanya untuk admin" in text(await person.say("/pertanyaan"))
    async with runtime.sessions() as s:
        q = (await s.execute(select(Question))).scalar_one()
    assert q.status == "open" and q.answer is None


async def test_admin_answers_by_replying_to_the_notification(runtime: Runtime) -> None:
    person = await _person(runtime, "5001")
    await person.say("/tanya Apakah ada sesi hari Sabtu?")
    notice, _ = (await _outbox(runtime, "question"))[0]
    async with runtime.sessions() as s, s.begin():  # as the outbox records a delivery
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == notice.id)
                        .values(status="sent", platform_message_id="4242"))
    admin = Chat(runtime, OWNER_ID)
    long_answer = "Tidak ada. " + "Sesi hanya pada hari kerja. " * 60  # over 1,000 characters
    done = await admin.say(long_answer, reply_to="4242")
    assert "dikirim kepada penanya" in text(done)
    (row, body), = await _outbox(runtime, "answer")
    assert row.chat_id == "5001" and "Sesi hanya pada hari kerja." in body["text"]


async def test_a_reply_is_also_recognised_by_the_notifications_text(runtime: Runtime) -> None:
    person = await _person(runtime, "5001")
    await person.say("/tanya Apakah ada sesi hari Sabtu?")
    admin = Chat(runtime, OWNER_ID)
    done = await admin.say("Tidak ada.", reply_to="1",
                           reply_to_text="📨 Pertanyaan #1\nDari: Budi Santoso — …")
    assert "dikirim kepada penanya" in text(done)
    # A person replying to something is just asking the FAQ.
    faq = await person.say("sertifikat", reply_to="1", reply_to_text="📨 Pertanyaan #1")
    assert "Apakah jawaban ini membantu?" in text(faq)


async def test_answer_button_then_make_it_an_faq_entry(runtime: Runtime) -> None:
    budi = await _person(runtime, "5001")
    siti = await _person(runtime, "5002", "Siti Aminah")
    await budi.say("/tanya Apakah ada grup WhatsApp khusus peserta Dahar Ngopi?")
    await siti.say("/tanya apakah ada grup whatsapp khusus peserta dahar ngopi??")
    admin = Chat(runtime, OWNER_ID)
    await admin.say("/pertanyaan")
    prompt = await admin.press("✍️ Jawab #1")
    assert "Silakan ketik jawaban untuk pertanyaan <b>#1</b>" in text(prompt)
    done = await admin.say("Belum ada; informasi resmi hanya lewat bot ini.")
    assert "dikirim kepada 2 penanya" in text(done)
    made = await admin.press("📚 Jadikan entri FAQ")
    assert "<code>tanya-1</code>" in text(made)
    async with runtime.sessions() as s:
        entry = await s.get(FaqEntryRow, "tanya-1")
        q = await s.get(Question, 1)
    assert entry is not None and entry.answer == "Belum ada; informasi resmi hanya lewat bot ini."
    assert entry.phrasings == ["apakah ada grup whatsapp khusus peserta dahar ngopi??"]
    assert q is not None and q.faq_entry_id == "tanya-1"
    answer = await budi.say("ada grup wa peserta dahar ngopi ga ya")
    assert "informasi resmi hanya lewat bot ini" in text(answer)
    assert "sudah menjadi entri FAQ" in text(await admin.say("/faq dari 1"))


async def test_send_to_agency_from_an_unanswered_faq_question(runtime: Runtime) -> None:
    person = await _person(runtime, "5001")
    offer = await person.say("Bagaimana cara mengurus cuti melahirkan?")
    sent = await person.press("📨 Kirim ke BPSDM", offer)
    assert "nomor <b>#1</b>" in text(sent)
    async with runtime.sessions() as s:
        lookup = (await s.execute(select(FaqLookup))).scalar_one()
        q = await s.get(Question, 1)
    assert lookup.question_id == 1
    assert q is not None and q.text == "Bagaimana cara mengurus cuti melahirkan?"
    again = await person.press("📨 Kirim ke BPSDM", offer)
    assert "sudah dikirim (#1)" in text(again)


async def test_tanya_needs_registration(runtime: Runtime) -> None:
    chat = Chat(runtime, "5009")
    assert "belum terdaftar" in text(await chat.say("/tanya Halo?"))
    assert buttons(await chat.say("pertanyaan aneh tentang mutasi")) == []


async def test_an_old_tanya_prompt_no_longer_takes_the_next_text(
    runtime: Runtime, clock: FixedClock
) -> None:
    person = await _person(runtime, "5001")
    await person.say("❓ Tanya")
    clock.advance(timedelta(minutes=31))  # the person moved on
    answer = await person.say("sertifikat")
    assert "Apakah jawaban ini membantu?" in text(answer)
    async with runtime.sessions() as s:
        assert (await s.execute(select(Question))).first() is None

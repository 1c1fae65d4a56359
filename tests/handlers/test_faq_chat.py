"""The FAQ in the chat: answers, candidates, honest "not found", feedback, admin edits, stats."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.runtime import Runtime
from db.models import AppMeta, FaqEntryRow, FaqLookup
from handlers.faq_entries import FaqEntry, default_entries, dump_entries
from handlers.faq_store import stored_entries
from tests.auxil.chat import Chat, buttons, text
from tests.conftest import OWNER_ID


async def _person(rt: Runtime, user: str = "5001") -> Chat:
    chat = Chat(rt, user)
    await chat.register(nip=f"1985071420100110{user[-2:]}")  # NIPs are unique per person
    return chat


async def test_first_start_loads_the_shipped_faq_into_the_database(runtime: Runtime) -> None:
    async with runtime.sessions() as s:
        stored = await stored_entries(s)
        version = await s.get(AppMeta, "faq_version")
    assert stored == default_entries()  # same entries, same order
    assert version is not None and version.value == "1"


async def test_a_clear_question_gets_the_answer_and_a_feedback_question(
    runtime: Runtime,
) -> None:
    chat = await _person(runtime)
    replies = await chat.say("cara join zoom nya gmn min??")
    assert "Bagaimana cara ikut lewat Zoom?" in text(replies)
    assert "Apakah jawaban ini membantu?" in text(replies)
    assert buttons(replies) == ["👍 Ya", "👎 Tidak"]
    thanks = await chat.press("👍 Ya")
    assert "Terima kasih atas masukannya" in text(thanks)
    assert thanks[0].edit  # Telegram: the buttons are replaced by the vote
    async with runtime.sessions() as s:
        lookup = (await s.execute(select(FaqLookup))).scalar_one()
    assert (lookup.kind, lookup.entry_id, lookup.helpful) == ("single", "cara-ikut-zoom", True)
    assert lookup.feedback_at is not None


async def test_thumbs_down_is_recorded_and_offers_the_agency(runtime: Runtime) -> None:
    chat = await _person(runtime)
    await chat.say("sertifikat")
    replies = await chat.press("👎 Tidak")
    assert "Terima kasih atas masukannya" in text(replies)
    assert "mengirim pertanyaan" in text(replies)
    assert "📨 Kirim ke BPSDM" in buttons(replies)
    async with runtime.sessions() as s:
        lookup = (await s.execute(select(FaqLookup))).scalar_one()
    assert lookup.helpful is False


async def test_on_whatsapp_the_vote_is_thanked_without_resending_the_answer(
    runtime: Runtime,
) -> None:
    chat = Chat(runtime, "6281234567890", channel="whatsapp")
    await chat.register()
    # (A bare "sertifikat" is the command on WhatsApp: this is a question.)
    await chat.say("ada sertifikat buat peserta ga")
    replies = await chat.press("👍 Ya")
    assert [(r.text, r.notice) for r in replies] == [("", "Terima kasih atas masukannya! 🙏")]


async def test_an_ambiguous_question_offers_up_to_three_candidates(runtime: Runtime) -> None:
    chat = await _person(runtime)
    replies = await chat.say("mau ikut caranya gmn")
    labels = buttons(replies)
    assert "salah satu pertanyaan berikut" in text(replies)
    assert labels[0] == "Bagaimana cara mendaftar?"
    assert 2 <= len(labels) - 1 <= 3 and labels[-1] == "📨 Tanyakan ke BPSDM"
    answer = await chat.press("Bagaimana cara mendaftar?")
    assert "Apakah jawaban ini membantu?" in text(answer)
    await chat.press("👍 Ya")
    async with runtime.sessions() as s:
        lookup = (await s.execute(select(FaqLookup))).scalar_one()
    assert (lookup.kind, lookup.entry_id, lookup.helpful) == ("several", "cara-daftar", True)
    assert lookup.candidates is not None and lookup.candidates.startswith("cara-daftar,")


async def test_out_of_scope_is_said_honestly_and_offers_the_agency(runtime: Runtime) -> None:
    chat = await _person(runtime)
    replies = await chat.say("resep nasi goreng yang enak apa ya")
    assert "belum menemukan jawaban" in text(replies)
    assert buttons(replies) == ["📨 Kirim ke BPSDM", "Tidak usah"]
    assert "<b>" not in text(replies)  # no entry was shown
    declined = await chat.press("Tidak usah")
    assert "Bila ada pertanyaan lain" in text(declined)


async def test_before_registration_the_faq_answers_but_points_to_mulai(runtime: Runtime) -> None:
    chat = Chat(runtime, "5002")
    assert "Apakah jawaban ini membantu?" in text(await chat.say("sertifikat"))
    unknown = await chat.say("resep nasi goreng yang enak apa ya")
    assert "/mulai" in text(unknown) and buttons(unknown) == []


async def test_greetings_are_greeted_back_and_not_logged(runtime: Runtime) -> None:
    chat = await _person(runtime)
    replies = await chat.say("selamat pagi min")
    assert "Selamat pagi, Budi Santoso!" in text(replies)  # answered in kind
    async with runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(FaqLookup)) == 0


async def test_someone_elses_feedback_button_does_nothing(runtime: Runtime) -> None:
    chat = await _person(runtime)
    answer = await chat.say("sertifikat")
    other = Chat(runtime, "5003")
    replies = await other.press("👍 Ya", answer)
    assert "tidak berlaku" in text(replies)
    async with runtime.sessions() as s:
        assert (await s.execute(select(FaqLookup.helpful))).scalar_one() is None


async def test_admin_adds_an_entry_in_a_short_conversation(runtime: Runtime) -> None:
    admin = Chat(runtime, OWNER_ID)
    assert "pertanyaannya" in text(await admin.say("/faq tambah"))
    assert "jawabannya" in text(await admin.say("Apakah ada parkir di kantor BPSDM?"))
    assert "frasa lain" in text(await admin.say("Ada, di halaman depan & belakang <gedung>."))
    await admin.say("parkir mobil di mana\nbawa motor parkir dimana")
    saved = await admin.say("parkir, kendaraan")
    assert "Entri baru disimpan" in text(saved)
    assert "apakah-ada-parkir-di-kantor-bpsd" in text(saved)  # id made from the question
    person = await _person(runtime)
    answer = await person.say("parkir motor dmn ya")
    assert "Ada, di halaman depan &amp; belakang &lt;gedung&gt;." in text(answer)


async def test_admin_edits_and_deletes_an_entry(runtime: Runtime) -> None:
    admin = Chat(runtime, OWNER_ID)
    shown = await admin.say("/faq ubah sertifikat")
    assert "Bagian mana" in text(shown)
    await admin.press("✏️ Jawaban")
    done = await admin.say("Sertifikat dikirim lewat email tiga hari setelah sesi.")
    assert "Entri diperbarui" in text(done)
    person = await _person(runtime)
    assert "lewat email tiga hari" in text(await person.say("sertifikat"))
    ask = await admin.say("/faq hapus sertifikat")
    await admin.press("🗑 Ya, hapus", ask)
    async with runtime.sessions() as s:
        assert await s.get(FaqEntryRow, "sertifikat") is None
    assert "lewat email" not in text(await person.say("sertifikat"))


async def test_an_edit_that_breaks_the_rules_is_refused_and_can_be_retyped(
    runtime: Runtime,
) -> None:
    admin = Chat(runtime, OWNER_ID)
    await admin.say("/faq ubah sertifikat")
    await admin.press("✏️ Frasa lain")
    taken = default_entries()[0].question  # already the question of another entry
    refused = await admin.say(taken)
    assert "Belum disimpan" in text(refused) and "sudah ditanyakan oleh" in text(refused)
    ok = await admin.say("sertifikatnya kapan keluar")
    assert "Entri diperbarui" in text(ok)


async def test_people_cannot_use_the_admin_faq_commands(runtime: Runtime) -> None:
    person = await _person(runtime)
    for command in ("/faq tambah", "/faqstat", "/faq ekspor"):
        assert "hanya untuk admin" in text(await person.say(command))


async def test_a_faq_file_adds_and_updates_and_removes_only_when_confirmed(
    runtime: Runtime,
) -> None:
    admin = Chat(runtime, OWNER_ID)
    everything = default_entries()
    entries = everything[:3]
    bad = dump_entries(entries).replace("answer:", "jawaban:", 1).encode()
    refused = await admin.send_file("faq.yaml", bad)
    assert "FAQ tidak diimpor" in text(refused) and "kolom 'jawaban' tidak dikenal" in text(refused)
    async with runtime.sessions() as s:
        assert len(await stored_entries(s)) == len(everything)  # untouched
    changed = [FaqEntry(entries[0].id, entries[0].question, "Jawaban baru.",
                        entries[0].phrasings, entries[0].keywords),
               FaqEntry("parkir", "Di mana parkir peserta?", "Di halaman depan.")]
    done = await admin.send_file("pertanyaan-baru.yml", dump_entries(changed).encode())
    reply = text(done)
    assert "FAQ diimpor" in reply and "1 baru, 1 diubah" in reply
    assert f"{len(everything) - 1} entri yang tidak ada di berkas <b>tetap disimpan</b>" in reply
    assert f"<code>{everything[1].id}</code>" in reply
    async with runtime.sessions() as s:
        stored = await stored_entries(s)
    # Nothing was removed: a one-entry file no longer empties the FAQ.
    assert [e.id for e in stored] == [e.id for e in everything] + ["parkir"]
    assert stored[0].answer == "Jawaban baru."
    assert buttons(done) == [f"🗑 Hapus {len(everything) - 1} entri itu", "Biarkan"]
    pruned = await admin.press(f"🗑 Hapus {len(everything) - 1} entri itu", done)
    assert f"{len(everything) - 1} entri dihapus" in text(pruned)
    async with runtime.sessions() as s:
        assert [e.id for e in await stored_entries(s)] == [entries[0].id, "parkir"]
    again = await admin.press(f"🗑 Hapus {len(everything) - 1} entri itu", done)
    assert "sudah tidak berlaku" in text(again)


async def test_the_removal_button_expires_once_the_faq_changed(runtime: Runtime) -> None:
    admin = Chat(runtime, OWNER_ID)
    done = await admin.send_file("faq.yaml", dump_entries(default_entries()[:2]).encode())
    await admin.send_file("faq.yaml", dump_entries(default_entries()[2:3]).encode())
    late = await admin.press(f"🗑 Hapus {len(default_entries()) - 2} entri itu", done)
    assert "tidak ada yang dihapus" in text(late) or "tidak berlaku" in text(late)
    async with runtime.sessions() as s:
        assert len(await stored_entries(s)) == len(default_entries())


async def test_a_calendar_yaml_is_left_to_the_calendar_import(runtime: Runtime) -> None:
    admin = Chat(runtime, OWNER_ID)
    calendar = b"- tanggal: 2026-12-03\n  program: asn-belajar\n  judul: Uji\n"
    replies = await admin.send_file("jadwal.yaml", calendar)
    assert "FAQ" not in text(replies) and "Jadwal" in text(replies)


async def test_admin_exports_the_faq_as_a_file(runtime: Runtime) -> None:
    admin = Chat(runtime, OWNER_ID)
    replies = await admin.say("/faq ekspor")
    doc = replies[0].document
    assert doc is not None and doc.filename == "faq.yaml" and doc.content is not None
    assert doc.content.decode() == dump_entries(default_entries())


async def test_faqstat_shows_thumbs_down_and_unanswered_messages(runtime: Runtime) -> None:
    for user in ("5001", "5002"):
        chat = await _person(runtime, user)
        await chat.say("sertifikat")
        await chat.press("👎 Tidak")
        await chat.say("Resep nasi goreng?")
    admin = Chat(runtime, OWNER_ID)
    stats = text(await admin.say("/faqstat"))
    assert "Pesan ke FAQ: 4" in stats
    assert "dijawab langsung: 2 (50%)" in stats and "tidak ditemukan: 2 (50%)" in stats
    assert "<code>sertifikat</code>: 👎 2 · 👍 0" in stats
    assert "Resep nasi goreng? (2×)" in stats

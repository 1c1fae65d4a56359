"""Issue 13's sentences on WhatsApp, over real HTTP: a sentence that starts with a command word
is not that command, questions are answered from the calendar and the person's record, small
talk is answered like a polite person, and stopping asks first."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Person, Question
from tests.e2e.conftest import WA_ADMIN as ADMIN
from tests.e2e.whatsapp_bot import WhatsAppBot, choice, choices, texts
from tests.fakes.whatsapp_webhook import envelope

SITI = "6281234567890"
NOT_ADMIN = "hanya untuk admin"






async def _subscribed(bot: WhatsAppBot, wa_id: str) -> bool:
    async with bot.rt.sessions() as s:
        person = await s.scalar(select(Person).where(Person.full_name == "Dra. Siti Aminah"))
    assert person is not None
    return person.subscribed


async def test_sentences_that_start_with_a_command_word_are_answered(wa_bot: WhatsAppBot) -> None:
    bot = wa_bot
    await bot.register(SITI)
    # Found: each of these was "Maaf, perintah ini hanya untuk admin BPSDM."
    jp = texts(await bot.say(SITI, "jp saya berapa"))
    assert "JP Bapak/Ibu tahun 2026: 0 JP dari target 20 JP" in jp and NOT_ADMIN not in jp
    stats = texts(await bot.say(SITI, "statistik kehadiran saya"))
    assert "0 JP dari target 20 JP" in stats and "Belum ada kehadiran" in stats
    none_yet = texts(await bot.say(SITI, "pertanyaan saya belum dijawab"))
    assert "Belum ada pertanyaan dari Bapak/Ibu" in none_yet and "tanya PERTANYAAN" in none_yet
    news = texts(await bot.say(SITI, "Pengumuman terbaru apa?"))
    assert news == "Belum ada pengumuman yang dikirim kepada Bapak/Ibu."
    admin_no = texts(await bot.say(SITI, "admin bpsdm nomornya berapa?"))
    assert "Bagaimana menghubungi admin atau panitia?" in admin_no  # the FAQ's entry
    # Found: "mulai jam berapa acaranya?" answered "Bapak/Ibu sudah terdaftar."
    when = texts(await bot.say(SITI, "mulai jam berapa acaranya?"))
    assert "sudah terdaftar" not in when
    assert "Senin, 23 November 2026" in when and "13.00–15.00 WIB" in when
    # Inside a /tanya step, a question that starts with "Pertanyaan" is the question.
    assert "Silakan ketik pertanyaan" in texts(await bot.say(SITI, "tanya"))
    filed = texts(await bot.say(SITI, "Pertanyaan saya: kapan sertifikat webinar terbit?"))
    assert "nomor *#1*" in filed and NOT_ADMIN not in filed
    waiting = texts(await bot.say(SITI, "jawab dong min"))
    assert "#1" in waiting and "menunggu jawaban admin" in waiting
    # With the slash, an admin command keeps its polite refusal.
    assert NOT_ADMIN in texts(await bot.say(SITI, "/pertanyaan"))
    async with bot.rt.sessions() as s:
        q = await s.get(Question, 1)
    assert q is not None and q.text == "Pertanyaan saya: kapan sertifikat webinar terbit?"


async def test_stopping_asks_first_and_a_sentence_does_not_stop(wa_bot: WhatsAppBot) -> None:
    bot = wa_bot
    await bot.register(SITI)
    # Found: unsubscribed at once, without a confirmation.
    topic = texts(await bot.say(
        SITI, "Berhenti sejenak saat kerja itu penting ya, ada sesi soal itu?"))
    assert "belum menemukan jawaban" in topic and await _subscribed(bot, SITI)
    asked = await bot.say(SITI, "berhenti")
    assert "Berhenti menerima menu pagi" in texts(asked)
    assert [t for _, t in choices(asked)] == ["Ya, berhenti", "Batal"]
    kept = await bot.press(SITI, choice(asked, "Batal"))
    assert "tetap aktif" in texts(kept) and await _subscribed(bot, SITI)
    asked = await bot.say(SITI, "/stop")
    stopped = await bot.press(SITI, choice(asked, "Ya, berhenti"))
    assert "tidak akan menerima menu harian" in texts(stopped)
    assert not await _subscribed(bot, SITI)
    settings = texts(await bot.say(SITI, "pengingat"))
    assert settings.startswith("⚠️ Bapak/Ibu sedang *tidak berlangganan*")


async def test_calendar_questions_are_answered_from_the_calendar(wa_bot: WhatsAppBot) -> None:
    bot = wa_bot
    await bot.register(SITI)
    # Found: "diadakan setiap Kamis", "dikirim bot setiap pagi", "di /jadwal".
    week = texts(await bot.say(SITI, "kapan asn belajar minggu ini?"))
    assert "Kamis, 26 November 2026" in week and "09.00–12.00 WIB" in week
    assert "Etika Pelayanan Publik dan Wawasan Kebangsaan" in week
    link = await bot.say(SITI, "link zoomnya mana")
    assert "Zoom: https://zoom.us/j/95984715105" in texts(link)  # today's session
    assert "Jadwal" in str(choices(link))  # a button to the related command
    schedule = texts(await bot.press(SITI, choice(link, "Jadwal")))
    assert "Jadwal ASN Dahar Ngopi minggu ini" in schedule
    recording = texts(await bot.say(SITI, "rekaman webinar kemarin ada?"))
    assert "Jumat, 20 November 2026" in recording and "Rekaman: belum tersedia" in recording
    code = texts(await bot.say(SITI, "kode presensi asn belajar kamis apa"))
    assert "tidak dibagikan lewat chat" in code and "BLJNB3E" not in code
    nxt = texts(await bot.say(SITI, "jadwal minggu depan"))
    assert "Jadwal ASN Dahar Ngopi minggu depan" in nxt and "Senin, 30 November 2026" in nxt


async def test_small_talk_and_what_the_bot_cannot_read(wa_bot: WhatsAppBot) -> None:
    bot = wa_bot
    await bot.register(SITI)
    for said, answer in (
        ("terima kasih", "Sama-sama, Dra. Siti Aminah. 🙏"),
        ("makasih min", "Sama-sama"),
        ("thx min", "Sama-sama"),
        ("Assalamualaikum", "Wa'alaikumsalam warahmatullahi wabarakatuh"),
        ("selamat pagi", "Selamat pagi, Dra. Siti Aminah!"),
        ("Selamat siang min", "Selamat siang"),
        ("selamat sore", "Selamat sore"),
        ("ok", "Baik, terima kasih. 🙏"),
        ("siap", "Baik, terima kasih. 🙏"),
        ("👍", "👍"),
        ("🙏", "🙏"),
    ):
        reply = texts(await bot.say(SITI, said))
        assert reply.startswith(answer), (said, reply)
        assert "belum menemukan jawaban" not in reply
    voice = envelope({
        "contacts": [{"profile": {"name": "Siti"}, "wa_id": SITI}],
        "messages": [{"from": SITI, "id": "wamid.VOICE1", "timestamp": "1764000000",
                      "type": "audio", "audio": {"id": "556", "mime_type": "audio/ogg",
                                                 "voice": True}}],
    })
    note = texts(await bot.send(SITI, voice))
    assert "pesan suara belum dapat kami proses" in note and "hanya membaca pesan teks" in note


async def test_admin_words_are_commands_only_for_admins(wa_bot: WhatsAppBot) -> None:
    bot = wa_bot
    await bot.register(SITI)
    await bot.say(ADMIN, "halo")
    listed = texts(await bot.say(ADMIN, "pertanyaan"))  # the bare word alone: the command
    assert "Tidak ada pertanyaan yang menunggu jawaban" in listed
    not_listed = texts(await bot.say(SITI, "pertanyaan"))  # from others: not a command
    assert NOT_ADMIN not in not_listed and "Tidak ada pertanyaan" not in not_listed
    preview = await bot.say(ADMIN, "umumkan Sesi Jumat pindah ke aula lantai 2.")
    sent = await bot.press(ADMIN, choice(preview, "Kirim sekarang"))
    assert "memulai pengiriman ke 1 penerima" in texts(sent)
    await bot.wa.wait_for(lambda m: m.to == SITI and "aula lantai 2" in m.body)
    news = texts(await bot.say(SITI, "Pengumuman terbaru apa?"))
    assert "Pengumuman terbaru untuk Bapak/Ibu" in news and "aula lantai 2" in news
    # An admin's sentence that starts with an admin word is a sentence too; the word alone
    # is the command. (The broadcast's report reaches the admin first.)
    await bot.wa.wait_for(lambda m: m.to == ADMIN and "Laporan pengumuman #1" in m.body)
    own = texts(await bot.say(ADMIN, "Pengumuman terbaru apa?"))
    assert own == "Belum ada pengumuman yang dikirim kepada Bapak/Ibu."
    listed = texts(await bot.say(ADMIN, "pengumuman"))
    assert listed.startswith("📣 *Pengumuman*") and "aula lantai 2" in listed

"""ASN Bertanya, BPSDM Menjawab on Telegram, end to end: /tanya → admin → answer relayed.

The bot runs as `dahar-ngopi run` starts it, outbox dispatcher included: notifications and
relayed answers really travel through the outbox to the fake Bot API.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.clock import FixedClock
from db.models import OutboxMessage, Question
from tests.conftest import OWNER_ID
from tests.e2e.conftest import TelegramBot

BUDI, SITI = 5001, 5002
OWNER = int(OWNER_ID)


async def test_tanya_admin_replies_and_the_answer_is_relayed(
    telegram_bot: TelegramBot
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(BUDI)
    received = await bot.say(BUDI, "/tanya Apakah sertifikat ASN Belajar bisa dipakai untuk SKP?")
    assert "nomor <b>#1</b>" in (received.text or "")
    notice = await tg.next_message(OWNER)  # delivered by the outbox
    assert (notice.text or "").startswith("📨 <b>Pertanyaan #1</b>")
    assert "Budi Santoso — Dinas Pendidikan Kab. Sidoarjo" in (notice.text or "")
    assert "198507142010011003" not in (notice.text or "")
    assert notice.button_texts == ["✍️ Jawab #1"]
    # The admin answers by replying to the notification.
    done = await bot.say(OWNER, "Bisa, sertifikat memuat JP yang diakui untuk pengembangan "
                         "kompetensi.", reply_to=notice)
    assert "dikirim kepada penanya" in (done.text or "")
    answer = await tg.next_message(BUDI)
    assert "💬 <b>Jawaban BPSDM</b> atas pertanyaan Bapak/Ibu (#1)" in (answer.text or "")
    assert "bisa dipakai untuk SKP?" in (answer.text or "")  # the question is quoted
    assert "memuat JP yang diakui" in (answer.text or "")
    async with bot.rt.sessions() as s:
        q = (await s.execute(select(Question))).scalar_one()
    assert q.status == "answered" and q.answered_by == f"telegram:{OWNER_ID}"


async def test_duplicates_are_grouped_and_both_get_the_answer(
    telegram_bot: TelegramBot
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(BUDI)
    await bot.register(SITI, name="Siti Aminah", nip="198507142010012003")
    await bot.say(BUDI, "/tanya Kapan sertifikat ASN Belajar tanggal 5 Maret bisa diunduh?")
    joined = await bot.say(SITI, "/tanya kapan sertifikat asn belajar tgl 5 maret bs di unduh??")
    assert "#1" in (joined.text or "") and "peserta lain" in (joined.text or "")
    await tg.next_message(OWNER)
    listed = await bot.say(OWNER, "/pertanyaan")
    assert "2 penanya" in (listed.text or "")
    assert len(tg.messages_to(OWNER)) == 2  # one notification only, then the list
    done = await bot.say(OWNER, "/jawab 1 Sertifikat dapat diunduh mulai Senin, 10 Maret.")
    assert "dikirim kepada 2 penanya" in (done.text or "")
    for user, quoted in ((BUDI, "tanggal 5 Maret bisa diunduh?"),
                         (SITI, "tgl 5 maret bs di unduh??")):
        answer = await tg.next_message(user)
        assert quoted in (answer.text or "") and "mulai Senin, 10 Maret." in (answer.text or "")


async def test_people_cannot_answer_and_are_rate_limited(
    telegram_bot: TelegramBot
) -> None:
    bot = telegram_bot
    clock = bot.rt.clock
    assert isinstance(clock, FixedClock)
    await bot.register(BUDI)
    await bot.say(BUDI, "/tanya Apakah ada sesi pada hari Sabtu?")
    refused = await bot.say(BUDI, "/jawab 1 Tidak ada.")
    assert "hanya untuk admin" in (refused.text or "")
    for i in range(2, 6):
        clock.advance(timedelta(minutes=1))
        assert f"#{i}" in ((await bot.say(BUDI, f"/tanya Pertanyaan ke-{i}?")).text or "")
    limited = await bot.say(BUDI, "/tanya Pertanyaan keenam?")
    assert "sudah mengirim 5 pertanyaan dalam satu jam" in (limited.text or "")
    assert "setelah pukul 09.00 WIB" in (limited.text or "")
    async with bot.rt.sessions() as s:
        first = await s.get(Question, 1)
        notices = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.kind == "question"))
    assert first is not None and first.status == "open"
    assert notices == 5  # the refused sixth reached no admin


async def test_the_answer_button_and_a_new_faq_entry(
    telegram_bot: TelegramBot
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(BUDI)
    await bot.say(BUDI, "/tanya Apakah ada grup WhatsApp khusus peserta Dahar Ngopi?")
    notice = await tg.next_message(OWNER)
    await bot.press(OWNER, notice, "✍️ Jawab #1")
    prompt = await tg.next_message(OWNER)
    assert "Silakan ketik jawaban" in (prompt.text or "")
    done = await bot.say(OWNER, "Belum ada; informasi resmi hanya lewat bot ini.")
    await tg.next_message(BUDI)
    await bot.press(OWNER, done, "📚 Jadikan entri FAQ")
    made = await tg.next_message(OWNER)
    assert "<code>tanya-1</code>" in (made.text or "")
    faq = await bot.say(BUDI, "ada grup wa peserta dahar ngopi ga ya")
    assert "informasi resmi hanya lewat bot ini" in (faq.text or "")

"""The FAQ on Telegram, end to end: a matched question, an ambiguous one, one out of scope."""

from __future__ import annotations

from sqlalchemy import select

from db.models import FaqLookup
from tests.e2e.conftest import TelegramBot

USER = 5001


async def test_matched_question_and_feedback(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(USER)
    answer = await bot.say(USER, "cara join zoom nya gmn min??")
    assert "<b>Bagaimana cara ikut lewat Zoom?</b>" in (answer.text or "")
    assert answer.button_texts == ["👍 Ya", "👎 Tidak"]
    toast = await bot.press(USER, answer, "👍 Ya")
    assert toast.params.get("text") == "Terima kasih atas masukannya! 🙏"
    await tg.wait_until(lambda: "edit_date" in tg.message(USER, answer.message_id))
    edited = tg.message(USER, answer.message_id)
    assert edited["text"].endswith("Apakah jawaban ini membantu? 👍")
    assert "reply_markup" not in edited, edited  # the buttons are gone: one vote per answer
    async with bot.rt.sessions() as s:
        lookup = (await s.execute(select(FaqLookup))).scalar_one()
    assert (lookup.entry_id, lookup.helpful) == ("cara-ikut-zoom", True)


async def test_ambiguous_question_offers_buttons(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(USER)
    offer = await bot.say(USER, "mau ikut caranya gmn")
    assert "salah satu pertanyaan berikut" in (offer.text or "")
    labels = offer.button_texts
    assert labels[0] == "Bagaimana cara mendaftar?" and len(labels) <= 4
    assert labels[-1] == "📨 Tanyakan ke BPSDM"
    await bot.press(USER, offer, "Bagaimana cara mendaftar?")
    answer = await tg.next_message(USER)
    assert "<b>Bagaimana cara mendaftar?</b>" in (answer.text or "")
    await bot.press(USER, answer, "👎 Tidak")
    follow = await tg.next_message(USER)
    assert "Kirim ke BPSDM" in str(follow.button_texts)


async def test_out_of_scope_question_is_not_answered_with_an_entry(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    await bot.register(USER)
    reply = await bot.say(USER, "cara bayar pbb online gimana")
    assert "belum menemukan jawaban" in (reply.text or "")
    assert reply.button_texts == ["📨 Kirim ke BPSDM", "Tidak usah"]

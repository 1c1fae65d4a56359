"""A person's messages go only to their own chat: a press arriving from any other chat (a
group, another person's chat) is answered with a toast and changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from core.outbox import enqueue
from core.types import Reply
from db.models import Identity, Person
from tests.conftest import OWNER_ID
from tests.e2e.conftest import TelegramBot

PERSON = 7345123987
ADMIN = int(OWNER_ID)
TOAST = "Silakan gunakan chat pribadi dengan bot"


async def _chat_of(bot: TelegramBot, user: int) -> str:
    async with bot.rt.sessions() as s:
        ident = (await s.execute(
            select(Identity).where(Identity.external_id == str(user)))).scalar_one()
        return ident.chat_id


async def test_a_press_with_another_chats_message_does_not_re_point_the_person(
    telegram_bot: TelegramBot,
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(PERSON)
    admin_intro = await bot.say(ADMIN, "/mulai")  # a message with buttons in the admin's chat
    before = len(tg.messages_to(ADMIN))
    answer = await bot.press(PERSON, admin_intro, "✅ Saya setuju")  # from the admin's chat
    assert await _chat_of(bot, PERSON) == str(PERSON)  # once re-pointed to the admin's chat
    assert answer.params.get("text") == TOAST
    # A message meant for the person still reaches the person, not the admin.
    async with bot.rt.sessions() as s, s.begin():
        await enqueue(s, key="note:1", person_id=None, channel="telegram",
                      chat_id=await _chat_of(bot, PERSON), kind="notice",
                      reply=Reply("Catatan untuk Bapak/Ibu."), now=bot.rt.clock.now())
    note = await tg.next_message(PERSON)
    assert note.text == "Catatan untuk Bapak/Ibu."
    assert len(tg.messages_to(ADMIN)) == before


async def test_a_press_in_a_group_gets_a_toast_and_changes_nothing(
    telegram_bot: TelegramBot,
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(PERSON)
    settings = await bot.say(PERSON, "/pengingat")
    label = next(b["text"] for row in (settings.reply_markup or {})["inline_keyboard"]
                 for b in row if "menu pagi" in b["text"])
    data = next(b["callback_data"] for row in (settings.reply_markup or {})["inline_keyboard"]
                for b in row if b["text"] == label)
    in_group = {"message_id": 77, "date": 1764000000, "text": "Pengaturan pengingat",
                "chat": {"id": -1001234567890, "type": "supergroup", "title": "Grup ASN"},
                "reply_markup": {"inline_keyboard": [[{"text": label, "callback_data": data}]]}}
    async with bot.rt.sessions() as s:
        prefs = dict((await s.execute(select(Person.preferences))).scalar_one())
    before = len(tg.calls_of("sendMessage")) + len(tg.calls_of("editMessageText"))
    count = len(tg.callback_answers)
    tg.press(PERSON, in_group, data, strict=False)
    await tg.wait_until(lambda: len(tg.callback_answers) > count)
    assert tg.callback_answers[-1].params.get("text") == TOAST
    async with bot.rt.sessions() as s:
        assert dict((await s.execute(select(Person.preferences))).scalar_one()) == prefs
    assert await _chat_of(bot, PERSON) == str(PERSON)
    assert len(tg.calls_of("sendMessage")) + len(tg.calls_of("editMessageText")) == before

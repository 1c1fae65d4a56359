"""One person, two channels: link Telegram and WhatsApp with a one-time code."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from core.clock import FixedClock
from core.types import Incoming, Reply
from db.models import Identity, LinkCode, Person
from tests.e2e.whatsapp_bot import WhatsAppBot, choice, texts

WA_ID = "6281234567890"
TG_ID = "5550001"


class TelegramPerson:
    """The Telegram side, driven through the core dispatcher as the Telegram adapter does."""

    def __init__(self, bot: WhatsAppBot, user_id: str = TG_ID) -> None:
        self.bot = bot
        self.user_id = user_id
        self.last: list[Reply] = []

    async def say(self, text: str) -> str:
        self.last = await self.bot.rt.dispatcher.handle(
            Incoming("telegram", self.user_id, self.user_id, text=text)
        )
        return "\n".join(r.text or r.notice or "" for r in self.last)

    async def press(self, label_part: str) -> str:
        button = next(b for r in self.last for row in r.buttons for b in row
                      if label_part in b.label)
        self.last = await self.bot.rt.dispatcher.handle(
            Incoming("telegram", self.user_id, self.user_id, callback=button.data)
        )
        return "\n".join(r.text or r.notice or "" for r in self.last)

    async def register(self, name: str = "Budi Santoso", nip: str = "197001012000031001") -> str:
        await self.say("/mulai")
        await self.press("Saya setuju")
        await self.say(name)
        await self.say(nip)
        await self.say("BPSDM Provinsi Jawa Timur")
        await self.say("surabaya")
        await self.press("Surabaya")
        return await self.press("WIB")


def _code(text: str) -> str:
    found = re.search(r"hubungkan (\d{6})", text)
    assert found, text
    return found.group(1)


async def _people(bot: WhatsAppBot) -> list[Person]:
    async with bot.rt.sessions() as s:
        return list((await s.execute(select(Person).order_by(Person.id))).scalars())


async def _identities(bot: WhatsAppBot) -> dict[str, int]:
    async with bot.rt.sessions() as s:
        rows = await s.execute(select(Identity.channel, Identity.person_id))
        return {channel: person for channel, person in rows.all()}


async def test_a_telegram_member_links_whatsapp_and_keeps_one_profile(bot: WhatsAppBot) -> None:
    tg = TelegramPerson(bot)
    assert "Pendaftaran selesai" in await tg.register()
    shown = await tg.say("/hubungkan")
    assert "berlaku 10 menit" in shown and "WhatsApp" in shown
    code = _code(shown)
    async with bot.rt.sessions() as s:
        stored = (await s.execute(select(LinkCode))).scalar_one()
    assert code not in stored.code_hash  # only a hash is kept

    # A new WhatsApp contact types the code (without a slash).
    linked = texts(await bot.say(WA_ID, f"hubungkan {code}"))
    assert "Akun Telegram dan WhatsApp kini terhubung" in linked
    assert "saat ini WhatsApp" in linked
    people = await _people(bot)
    assert len(people) == 1 and people[0].full_name == "Budi Santoso"
    assert people[0].preferred_channel == "whatsapp"  # the channel last written from
    assert await _identities(bot) == {"telegram": people[0].id, "whatsapp": people[0].id}

    profile = texts(await bot.say(WA_ID, "profil"))
    assert "Budi Santoso" in profile and "Saluran utama: WhatsApp" in profile
    # Writing on Telegram again moves scheduled messages back there.
    await tg.say("/menu")
    assert (await _people(bot))[0].preferred_channel == "telegram"
    # The code worked once.
    assert "tidak dikenal" in texts(await bot.say("6289999999999", f"hubungkan {code}"))


async def test_linking_the_other_way_round_keeps_the_registered_whatsapp_profile(
    bot: WhatsAppBot,
) -> None:
    await bot.register(WA_ID)  # checks "Pendaftaran selesai"
    tg = TelegramPerson(bot)
    await tg.say("/mulai")  # an unfinished Telegram registration
    shown = texts(await bot.say(WA_ID, "hubungkan"))
    assert "/hubungkan " in shown  # to be typed on Telegram, with the slash
    code = _code(shown)
    assert "kini terhubung" in await tg.say("/hubungkan " + code[:3] + " " + code[3:])
    people = await _people(bot)
    assert [p.full_name for p in people] == ["Dra. Siti Aminah"]
    assert (await _identities(bot))["telegram"] == people[0].id
    assert "sudah terdaftar" in await tg.say("/mulai")  # no leftover registration flow


async def test_when_both_have_a_profile_the_person_chooses(bot: WhatsAppBot) -> None:
    tg = TelegramPerson(bot)
    await tg.register(name="Budi Santoso", nip="197001012000031001")
    await bot.register(WA_ID, name="Budi S.")
    code = _code(await tg.say("/hubungkan"))
    ask = await bot.say(WA_ID, f"hubungkan {code}")
    text = texts(ask)
    assert "Profil mana yang disimpan?" in text
    assert "Budi Santoso (NIP …1001)" in text and "Budi S. (NIP …2003)" in text
    assert "197001012000031001" not in text  # a full NIP is never shown
    assert len(await _people(bot)) == 2  # nothing merged before the choice
    done = texts(await bot.press(WA_ID, choice(ask, "Simpan WhatsApp")))
    assert "kini terhubung" in done
    people = await _people(bot)
    assert [(p.full_name, p.nip) for p in people] == [("Budi S.", "198507142010012003")]
    assert set((await _identities(bot)).values()) == {people[0].id}
    # The button cannot be used twice.
    again = texts(await bot.press(WA_ID, choice(ask, "Simpan Telegram")))
    assert "tidak berlaku" in again


async def test_codes_expire_are_not_for_the_same_channel_and_cannot_be_guessed(
    bot: WhatsAppBot, clock: FixedClock
) -> None:
    tg = TelegramPerson(bot)
    await tg.register()
    code = _code(await tg.say("/hubungkan"))
    assert "bukan di sini" in await TelegramPerson(bot, "777").say(f"/hubungkan {code}")
    clock.advance(timedelta(minutes=11))
    assert "kedaluwarsa" in texts(await bot.say(WA_ID, f"hubungkan {code}"))
    code = _code(await tg.say("/hubungkan"))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert "tidak dikenal" in texts(await bot.say(WA_ID, f"hubungkan {wrong}"))
    # After five wrong codes even the right one is refused for an hour.
    assert "Terlalu banyak" in texts(await bot.say(WA_ID, f"hubungkan {code}"))
    async with bot.rt.sessions() as s:  # nothing was linked: three accounts, three people
        assert await s.scalar(select(func.count(func.distinct(Identity.person_id)))) == 3


async def test_the_preferred_channel_can_be_pinned_in_the_profile(bot: WhatsAppBot) -> None:
    tg = TelegramPerson(bot)
    await tg.register()
    await bot.say(WA_ID, "hubungkan " + _code(await tg.say("/hubungkan")))
    profile = await bot.say(WA_ID, "profil")
    menu = await bot.pick(WA_ID, choice(profile, "Saluran utama"))
    assert [t for _, t in menu[-1].choices] == ["Telegram", "WhatsApp",
                                                "Otomatis"]
    pinned = texts(await bot.press(WA_ID, choice(menu, "Telegram")))
    assert "selalu dikirim ke Telegram" in pinned
    await bot.say(WA_ID, "menu")  # writing on WhatsApp no longer moves it
    person = (await _people(bot))[0]
    assert (person.preferred_channel, person.channel_pinned) == ("telegram", True)
    menu = await bot.pick(WA_ID, choice(await bot.say(WA_ID, "profil"), "Saluran utama"))
    await bot.press(WA_ID, choice(menu, "Otomatis"))
    person = (await _people(bot))[0]
    assert (person.preferred_channel, person.channel_pinned) == ("whatsapp", False)

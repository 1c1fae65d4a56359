"""Admins send calendar files to the bot; people choose their reminders."""

from __future__ import annotations

from sqlalchemy import select

from db.models import LearningSession, Person
from tests.e2e.conftest import TelegramBot

OWNER = 9001
USER = 5001

NEW_SESSION = (
    "tanggal;program;judul;narasumber;mulai;selesai;jp;tautan_zoom\n"
    "03/12/2026;ASN Belajar;Manajemen Risiko Pembangunan;Dr. Rina;09.00;12.00;2,5;"
    "https://zoom.us/j/123456789\n"
)


async def test_admin_imports_a_calendar_file_through_get_file(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    tg.user_document(OWNER, "jadwal-desember.csv", ("\ufeff" + NEW_SESSION).encode(), "text/csv")
    reply = await tg.next_message(OWNER)
    assert "Jadwal diimpor" in (reply.text or ""), reply.text
    assert tg.calls_of("getFile"), "the file was fetched through getFile"
    async with bot.rt.sessions() as s:
        row = (await s.execute(
            select(LearningSession).where(LearningSession.title == "Manajemen Risiko Pembangunan")
        )).scalar_one()
    assert row.jp == 2.5 and row.zoom_url == "https://zoom.us/j/123456789"
    assert row.starts_at.hour == 2  # 09.00 WIB is 02.00 UTC


async def test_bad_calendar_file_is_reported_by_line_and_nothing_changes(
    telegram_bot: TelegramBot,
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    bad = NEW_SESSION + "04/12/2026;ASN Tidur;Judul;X;09.00;08.00;1;\n"
    tg.user_document(OWNER, "jadwal.csv", bad.encode(), "text/csv")
    reply = await tg.next_message(OWNER)
    assert "tidak diimpor" in (reply.text or "") and "Baris 3" in (reply.text or "")
    async with bot.rt.sessions() as s:
        found = (await s.execute(
            select(LearningSession).where(LearningSession.title == "Manajemen Risiko Pembangunan")
        )).first()
    assert found is None


async def test_non_admin_file_is_not_imported(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(USER)
    tg.user_document(USER, "jadwal.csv", NEW_SESSION.encode(), "text/csv")
    reply = await tg.next_message(USER)
    assert "Jadwal diimpor" not in (reply.text or "")
    assert not tg.calls_of("getFile")


async def test_pengingat_mutes_a_programme_and_turns_the_menu_off(
    telegram_bot: TelegramBot,
) -> None:
    bot = telegram_bot
    await bot.register(USER)
    screen = await bot.say(USER, "/pengingat")
    assert "ASN Mengaji" in (screen.text or "")
    mengaji = next(b for b in screen.button_texts if "Rabu" in b)
    await bot.press(USER, screen, mengaji)
    await bot.say(USER, "/pengingat menu off")
    async with bot.rt.sessions() as s:
        person = (await s.execute(select(Person))).scalars().one()
    assert person.preferences.get("menu") is False
    assert "asn-mengaji" in str(person.preferences.get("muted"))

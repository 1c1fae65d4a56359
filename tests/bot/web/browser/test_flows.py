"""The konsol end to end in Chromium, against the bot running on the fake Telegram server:
sign in from chat, import a calendar, announce to one kabupaten/kota, answer a question,
export attendance, and a non-admin kept out."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select

from db.models import Attendance, LearningSession
from tests.bot.web.browser.conftest import LAPTOP, PHONE
from tests.bot.web.browser.helpers import LINK, konsol_url, link_for, sign_in
from tests.conftest import OWNER_ID
from tests.e2e.conftest import TelegramBot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER, BUDI = int(OWNER_ID), 5001
CALENDAR = (
    "tanggal,program,judul,narasumber,mulai,selesai,jp\n"
    "2027-02-02,ASN Bertanya,Menulis Laporan Kinerja yang Baik,Tim BPSDM,13:00,14:00,1\n"
    "2027-02-04,ASN Belajar,Analisis Beban Kerja Jabatan,Dr. Budi Hartono,25:00,12:00,3\n"
)


async def test_sign_in_from_chat_and_import_a_calendar(
    telegram_bot: TelegramBot, browser: Browser, tmp_path: object
) -> None:
    bot = telegram_bot
    answer = await bot.say(OWNER, "/konsol")
    assert "satu kali" in (answer.text or "")
    assert answer.params.get("link_preview_options", {}).get("is_disabled") or \
        answer.params.get("disable_web_page_preview")
    found = LINK.search(answer.text or "")
    assert found is not None
    context, page = await sign_in(browser, found.group(1), PHONE)
    await expect(page.locator("h1")).to_have_text("Beranda")
    await page.goto(konsol_url(bot.rt) + "/jadwal/impor")
    await page.set_input_files("#berkas", files=[{"name": "jadwal.csv", "mimeType": "text/csv",
                                                   "buffer": CALENDAR.encode()}])
    await page.click("#periksa")
    errors = page.locator("#kesalahan")
    await expect(errors).to_contain_text("1 kesalahan")
    await expect(errors.locator("td[data-label=Baris]")).to_have_text(["3"])
    await page.set_input_files("#berkas", files=[{
        "name": "jadwal.csv", "mimeType": "text/csv",
        "buffer": CALENDAR.replace("25:00", "09:00").encode()}])
    await page.click("#periksa")
    await expect(page.locator("#pratinjau")).to_contain_text("2 sesi baru")
    await page.click("#impor")
    await expect(page.locator("#selesai")).to_contain_text("Jadwal diimpor")
    async with bot.rt.sessions() as db:
        titles = set(await db.scalars(select(LearningSession.title).where(
            LearningSession.day >= date(2027, 2, 1))))
    assert "Analisis Beban Kerja Jabatan" in titles
    await context.close()


async def test_announce_to_one_kabupaten_and_watch_it_finish(
    telegram_bot: TelegramBot, browser: Browser
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(BUDI)  # Kab. Sidoarjo
    context, page = await sign_in(browser, await link_for(bot.rt, f"telegram:{OWNER}"), LAPTOP)
    await page.goto(konsol_url(bot.rt) + "/pengumuman/baru")
    await page.fill("#teks", "<b>Webinar ASN Belajar</b> Kamis pukul 09.00 WIB.")
    await page.check("input[name=kepada][value=wilayah]")
    await page.fill("#wilayah", "Kab. Sidoarjo")
    await expect(page.locator("#jumlah")).to_contain_text("1 penerima")
    await page.click("#pratinjau")
    await expect(page.locator(".phone.telegram .bubble strong")).to_have_text(
        "Webinar ASN Belajar")
    await expect(page.locator("#jumlah-penerima")).to_have_text("1")
    await page.click("#kirim")
    await expect(page.locator("#progres .badge")).to_have_text("selesai", timeout=30_000)
    await expect(page.locator("#terkirim")).to_have_text("1")
    received = await tg.next_message(BUDI)
    assert "Webinar ASN Belajar" in (received.text or "")
    await context.close()


async def test_answer_a_question_and_the_answer_is_relayed(
    telegram_bot: TelegramBot, browser: Browser
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await bot.register(BUDI)
    await bot.say(BUDI, "/tanya Apakah sertifikat ASN Belajar bisa dipakai untuk SKP?")
    await tg.next_message(OWNER)  # the notice in chat
    context, page = await sign_in(browser, await link_for(bot.rt, f"telegram:{OWNER}"), PHONE)
    await page.goto(konsol_url(bot.rt) + "/pertanyaan")
    await page.click("text=✍️ Jawab")
    await page.fill("#jawaban", "Bisa, sertifikat memuat JP yang diakui.")
    await page.click("#jawab")
    await expect(page.locator("#terkirim")).to_contain_text("1 penanya")
    relayed = await tg.next_message(BUDI)
    assert "💬 <b>Jawaban BPSDM</b>" in (relayed.text or "")
    assert "memuat JP yang diakui" in (relayed.text or "")
    await context.close()


async def test_export_attendance_and_the_file_opens(
    telegram_bot: TelegramBot, browser: Browser
) -> None:
    bot = telegram_bot
    await bot.register(BUDI)
    async with bot.rt.sessions() as db, db.begin():
        s = await db.scalar(select(LearningSession).where(LearningSession.day == date(2026, 11, 5)))
        assert s is not None
        db.add(Attendance(person_id=1, session_id=s.id, reported_at=s.starts_at,
                          channel="telegram", source="self"))
        sid = s.id
    context, page = await sign_in(browser, await link_for(bot.rt, f"telegram:{OWNER}"), LAPTOP)
    await page.goto(konsol_url(bot.rt) + "/kehadiran?bulan=2026-11")
    await page.click(f"a[href='/konsol/kehadiran/sesi/{sid}']")
    async with page.expect_download() as waiting:
        await page.click("#ekspor-xlsx")
    download = await waiting.value
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = [row for ws in book.worksheets if ws.title != "Ringkasan"
             for row in ws.iter_rows(values_only=True)]
    assert cells[0][0] == "NIP" and cells[1][0] == "198507142010011003"
    await context.close()


async def test_a_non_admin_cannot_get_in(telegram_bot: TelegramBot, browser: Browser) -> None:
    bot = telegram_bot
    await bot.register(BUDI)
    refused = await bot.say(BUDI, "/konsol")
    assert "hanya untuk admin" in (refused.text or "")
    context = await browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(await link_for(bot.rt, f"telegram:{BUDI}"))
    await expect(page.locator("h1")).to_have_text("Tautan tidak berlaku")
    await expect(page.locator("main")).to_contain_text("bukan admin")
    await page.goto(konsol_url(bot.rt) + "/peserta")
    await expect(page.locator("h1")).to_have_text("Silakan masuk")
    assert not re.search("Budi Santoso", await page.content())
    await context.close()

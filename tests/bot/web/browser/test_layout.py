"""Every konsol page in Chromium at a phone's size (390×844) and a laptop's: nothing scrolls
sideways, the page's main action is in view, and a screenshot of each (for docs/konsol.md
when KONSOL_SCREENSHOTS names a folder)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from db.models import Attendance, LearningSession, Person
from handlers.questions import answer_question
from handlers.questions_store import file_question
from schedules.announcements import confirm, create_announcement
from schedules.segments import Segment
from tests.bot.web.browser.conftest import LAPTOP, PHONE
from tests.bot.web.browser.helpers import (
    horizontal_overflow,
    in_view,
    konsol_url,
    link_for,
    sign_in,
)
from tests.bot.web.seed import add_people
from tests.conftest import OWNER_ID
from tests.e2e.conftest import TelegramBot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _seed(bot: TelegramBot) -> dict[str, int]:
    """A programme in use: people, attendance, questions, an announcement on its way."""
    rt = bot.rt
    now = rt.clock.now()
    ids = await add_people(rt.sessions, now, 40)
    ids += await add_people(rt.sessions, now, 12, region="3578", first_id=7345124000,
                            instansi="Bappeda Kota Surabaya", name="Warga", nip_from=500)
    async with rt.sessions() as db, db.begin():
        s = await db.scalar(select(LearningSession).where(LearningSession.day == date(2026, 11, 5)))
        assert s is not None
        for n, pid in enumerate(ids[:30]):
            db.add(Attendance(person_id=pid, session_id=s.id, reported_at=s.starts_at,
                              channel="telegram" if n % 4 else "whatsapp", source="self"))
        people = [await db.get(Person, pid) for pid in ids[:3]]
        for person, text in zip(people, ("Kapan sertifikat ASN Belajar 5 November terbit?",
                                         "Apakah webinar hari Kamis direkam?",
                                         "Bagaimana cara mengganti NIP di profil?"), strict=True):
            assert person is not None
            await file_question(db, person=person, text=text, channel="telegram",
                                chat_id="1", now=now)
        ann = await create_announcement(
            db, created_by=f"telegram:{OWNER_ID}", person_id=None, now=now,
            text="<b>Webinar ASN Belajar</b> Kamis, 26 November 2026 pukul 09.00 WIB. "
                 '<a href="https://bpsdm.jatimprov.go.id">Daftar di sini</a>.',
            media=None, segment=Segment(region="3515"))
        draft = await create_announcement(
            db, created_by=f"telegram:{OWNER_ID}", person_id=None, now=now,
            text="Yth. Bapak/Ibu, <i>ASN Mengaji</i> Rabu ini membahas <b>amanah</b>.",
            media=None, segment=Segment())
        await confirm(db, ann.id, at=now, now=now, audience=40)
        session_id, ann_id, draft_id = s.id, ann.id, draft.id
    async with rt.sessions() as db, db.begin():
        from db.models import Question

        q = await db.get(Question, 2)
        assert q is not None
        await answer_question(db, rt.deps.signer, q, "Ya, rekamannya ada di YouTube BPSDM.",
                              now=now, by=f"telegram:{OWNER_ID}")
    if rt.deps.announcer is not None:
        rt.deps.announcer.wake()
    return {"session": session_id, "ann": ann_id, "draft": draft_id, "person": ids[0]}


def _pages(ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(name, path, the main action's selector) of every page."""
    return [
        ("beranda", "/", "a[href='/konsol/pengumuman/baru']"),
        ("jadwal", "/jadwal?bulan=2026-11", "text=➕ Tambah sesi"),
        ("jadwal-sesi", f"/jadwal/sesi/{ids['session']}", "#simpan"),
        ("jadwal-impor", "/jadwal/impor", "#periksa"),
        ("pengumuman", "/pengumuman", "#buat"),
        ("pengumuman-baru", "/pengumuman/baru", "#pratinjau"),
        ("pengumuman-pratinjau", f"/pengumuman/{ids['draft']}", "#kirim"),
        ("pengumuman-progres", f"/pengumuman/{ids['ann']}", "#progres"),
        ("pertanyaan", "/pertanyaan", "text=✍️ Jawab"),
        ("pertanyaan-jawab", "/pertanyaan/1", "#jawab"),
        ("faq", "/faq", "#tambah-faq"),
        ("faq-entri", "/faq/baru", "#simpan"),
        ("kehadiran", "/kehadiran?bulan=2026-11", "a[href='#ekspor']"),
        ("kehadiran-sesi", f"/kehadiran/sesi/{ids['session']}", "#ekspor-xlsx"),
        ("kehadiran-jp", "/kehadiran/jp?tahun=2026", "#jp-xlsx"),
        ("peserta", "/peserta", "#cari"),
        ("peserta-profil", f"/peserta/{ids['person']}", "h1"),
        ("admin", "/admin", "#tambah-admin"),
        ("audit", "/audit", "h1"),
    ]


async def test_every_page_fits_a_phone_and_a_laptop(
    telegram_bot: TelegramBot, browser: Browser, tmp_path: Path
) -> None:
    bot = telegram_bot
    ids = await _seed(bot)
    folder = Path(os.environ.get("KONSOL_SCREENSHOTS") or tmp_path)
    problems: list[str] = []
    for size_name, viewport in (("ponsel", PHONE), ("laptop", LAPTOP)):
        link = await link_for(bot.rt, f"telegram:{OWNER_ID}")
        context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        page = await context.new_page()
        await page.goto(link)
        await page.screenshot(path=str(folder / f"masuk-{size_name}.png"), full_page=True)
        await context.close()
        context, page = await sign_in(browser, await link_for(bot.rt, f"telegram:{OWNER_ID}"),
                                      viewport)
        for name, path, action in _pages(ids):
            response = await page.goto(konsol_url(bot.rt) + path)
            assert response is not None and response.status == 200, (name, size_name)
            await page.wait_for_load_state("networkidle")
            overflow = await horizontal_overflow(page)
            if overflow > 0:
                problems.append(f"{name} ({size_name}): {overflow} px wider than the window")
            if not await in_view(page, action):
                problems.append(f"{name} ({size_name}): {action} not in view")
            await page.screenshot(path=str(folder / f"{name}-{size_name}.png"), full_page=True)
        await context.close()
    assert problems == []

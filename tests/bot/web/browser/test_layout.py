"""Every konsol page in Chromium at a phone's size (390×844) and a laptop's: nothing scrolls
sideways, the page's main action is in view, its other parts are reachable by scrolling down
(not sideways), and a screenshot of each (for docs/konsol.md when KONSOL_SCREENSHOTS names a
folder). Certificates are on (PUBLIC_URL), so the pages show them as an agency sees them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Browser
from sqlalchemy import select

from bot.settings import Settings
from db.certificates import Issuer, issue, revoke
from db.learning import questions_of, rate, record_answer, replace_questions, set_comment
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
    reachable,
    sign_in,
)
from tests.bot.web.seed import add_people
from tests.conftest import OWNER_ID
from tests.e2e.conftest import TelegramBot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMENTS = ("Materinya sangat relevan dengan tugas kami di OPD.",
            "Mohon rekaman dan bahan paparannya dibagikan.",
            "Waktu tanya jawab kurang panjang.")
QUIZ = [("Apa ciri utama kepemimpinan adaptif?",
         ["Kaku pada prosedur", "Tanggap pada perubahan", "Menunggu instruksi"], 1,
         "Pemimpin adaptif membaca perubahan dan menyesuaikan cara kerja timnya."),
        ("Berapa JP minimal per tahun bagi PNS?", ["10", "15", "20", "40"], 2,
         "PP 17/2020: paling sedikit 20 JP setahun."),
        ("1 JP sama dengan berapa menit?", ["45", "60", "30"], 0, "")]


@pytest.fixture
def make_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """The shared settings with certificates on (PUBLIC_URL; its listener on a free port)."""

    def make(extra: Mapping[str, str] | None = None) -> Settings:
        return make_settings({"PUBLIC_URL": "https://dahar-ngopi.bpsdm.example.go.id",
                              "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "0",
                              "CERT_SIGNER_NAME": "Dr. Kepala Badan", **(extra or {})})

    return make


async def _after_session(bot: TelegramBot, session_id: int, ids: list[int]) -> None:
    """What follows a session: evaluations, a quiz, certificates (one revoked)."""
    rt = bot.rt
    now = rt.clock.now()
    certificates = rt.deps.config.certificates
    issuer = Issuer(certificates.organiser, certificates.signer_name,
                    certificates.signer_position)
    async with rt.sessions() as db, db.begin():
        for n, pid in enumerate(ids[:24]):
            for aspect, score in enumerate((5 - n % 3, 4 - n % 2, 5 - n % 4 // 3)):
                await rate(db, person_id=pid, session_id=session_id, aspect=aspect,
                           score=score, now=now)
        for pid, text in zip(ids, COMMENTS, strict=False):
            await set_comment(db, pid, session_id, text)
        await replace_questions(db, session_id, QUIZ)
        for question, choice in zip(await questions_of(db, session_id), (1, 2, 1),
                                    strict=True):
            await record_answer(db, person_id=ids[0], question=question, attempt=1,
                                choice=choice, now=now, review_days=1)
        earlier = await db.scalar(select(LearningSession)
                                  .where(LearningSession.day == date(2026, 11, 2)))
        assert earlier is not None
        db.add(Attendance(person_id=ids[0], session_id=earlier.id,
                          reported_at=earlier.starts_at, channel="telegram", source="self"))
        await db.flush()
        issued = await issue(db, [(pid, session_id) for pid in ids[:30]]
                             + [(ids[0], earlier.id)], issuer=issuer, now=now)
        revoked = next(c for c in issued if c.session_id == earlier.id)
        await revoke(db, revoked, reason="kehadiran dihapus melalui koreksi", now=now)


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
    await _after_session(bot, session_id, ids)
    if rt.deps.announcer is not None:
        rt.deps.announcer.wake()
    return {"session": session_id, "ann": ann_id, "draft": draft_id, "person": ids[0]}


def _pages(ids: dict[str, int]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(name, path, the main action's selector, the selectors of parts further down) of
    every page."""
    return [
        ("beranda", "/", "a[href='/konsol/pengumuman/baru']", ()),
        ("jadwal", "/jadwal?bulan=2026-11", "text=➕ Tambah sesi", ()),
        ("jadwal-sesi", f"/jadwal/sesi/{ids['session']}", "#simpan", ("#contoh-sertifikat",)),
        ("jadwal-impor", "/jadwal/impor", "#periksa", ()),
        ("pengumuman", "/pengumuman", "#buat", ()),
        ("pengumuman-baru", "/pengumuman/baru", "#pratinjau", ()),
        ("pengumuman-pratinjau", f"/pengumuman/{ids['draft']}", "#kirim", ()),
        ("pengumuman-progres", f"/pengumuman/{ids['ann']}", "#progres", ()),
        ("pertanyaan", "/pertanyaan", "text=✍️ Jawab", ()),
        ("pertanyaan-jawab", "/pertanyaan/1", "#jawab", ()),
        ("faq", "/faq", "#tambah-faq", ()),
        ("faq-entri", "/faq/baru", "#simpan", ()),
        ("kehadiran", "/kehadiran?bulan=2026-11", "a[href='#ekspor']",
         ("a[href='#siasn']", "#tahun", "#siasn-unduh")),
        ("kehadiran-sesi", f"/kehadiran/sesi/{ids['session']}", "#ekspor-xlsx",
         ("#evaluasi-xlsx", "#evaluasi-csv", "#koreksi")),
        ("kehadiran-jp", "/kehadiran/jp?tahun=2026", "#jp-xlsx", ()),
        ("peserta", "/peserta", "#cari", ()),
        ("peserta-profil", f"/peserta/{ids['person']}", "h1",
         ("#daftar-sertifikat a[href*='/verifikasi/']", "#kuis li", "#hapus-data")),
        ("admin", "/admin", "#tambah-admin", ()),
        ("audit", "/audit", "h1", ()),
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
        for name, path, action, further in _pages(ids):
            response = await page.goto(konsol_url(bot.rt) + path)
            assert response is not None and response.status == 200, (name, size_name)
            await page.wait_for_load_state("networkidle")
            overflow = await horizontal_overflow(page)
            if overflow > 0:
                problems.append(f"{name} ({size_name}): {overflow} px wider than the window")
            if not await in_view(page, action):
                problems.append(f"{name} ({size_name}): {action} not in view")
            problems += [f"{name} ({size_name}): {part} not reachable" for part in further
                         if not await reachable(page, part)]
            await page.screenshot(path=str(folder / f"{name}-{size_name}.png"), full_page=True)
        await context.close()
    assert problems == []

"""Certificates end to end on Telegram: attendance, the evaluation in the confirmation, the PDF
in the chat after the delay (its text and QR code read back), the verification page (valid,
unknown, revoked, erased), /sertifikat, and one certificate across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.http_server import HttpServer
from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.models import Certificate, LearningSession
from schedules.attendance_prompts import HADIR, plan_due_prompts
from schedules.certificate_pdf import format_nip
from schedules.nudges import NudgeConfig
from tests.auxil.pdf import pdf_text, qr_codes
from tests.auxil.running import running
from tests.e2e.conftest import TelegramBot
from tests.fakes.telegram_server import FakeTelegram, SentCall
from tests.handlers.attendance_helpers import MONDAY, OWNER, add_person, add_session, wib
from tests.schedules.quiz_helpers import add_quiz

PUBLIC = "https://dahar-ngopi.example.go.id"
SITI, BUDI = 6201, 6202
NIP = "198507142010012003"
QUIET = {"menu": False}


def _settings(make_settings: Callable[..., Settings], tg: FakeTelegram) -> Settings:
    return make_settings({
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url, "PUBLIC_URL": PUBLIC,
        "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "0", "CERT_SIGNER_NAME": "Dr. Kepala Badan",
    })


@pytest.fixture
async def cert_bot(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[
    TelegramBot
]:
    """The bot on Telegram with certificates on (PUBLIC_URL) and its HTTP server."""
    async with FakeTelegram() as tg, running(_settings(make_settings, tg), clock) as rt:
        yield TelegramBot(tg, rt)


def _page_url(rt: Runtime, code: str) -> str:
    server = rt.extras["http_server"]
    assert isinstance(server, HttpServer)
    return f"{server.url}/verifikasi/{code}"


async def _prompt(bot: TelegramBot, user: int, sid: int) -> SentCall:
    rt = bot.rt
    await plan_due_prompts(rt.sessions, NudgeConfig.from_config(rt.deps.config, ["telegram"]),
                           now=rt.clock.now(), agency_tz=rt.settings.tz,
                           close=rt.settings.attendance_close)
    return await bot.tg.next_message(user, timeout=10)


async def _tick(rt: Runtime) -> None:
    """What the scheduler does every minute (the sweep issues what is due)."""
    planner = rt.extras["background"].planner  # type: ignore[attr-defined]
    await planner.tick()


async def _press_edit(bot: TelegramBot, user: int, message: SentCall, label: str) -> str:
    """Press a button and wait for the message to be edited; return its text now."""
    since = len(bot.tg.sent)
    bot.tg.press(user, message, button=label)
    await bot.tg.wait_for("editMessageText", since=since, timeout=10)
    return str(bot.tg.message(user, message.result["message_id"])["text"])


async def _certificate(bot: TelegramBot, user: int) -> SentCall:
    """The next document sent to `user` (messages before it are read past)."""
    while True:
        call = await bot.tg.next_message(user, timeout=20)
        if call.method == "sendDocument":
            return call


async def test_attend_evaluate_receive_verify_and_revoke(cert_bot: TelegramBot) -> None:
    bot, tg, clock = cert_bot, cert_bot.tg, cert_bot.rt.clock
    sid = await add_session(bot.rt.sessions, code="CERT-1", start=(9, 0), hours=2, jp=2,
                            title="Arsip Digital yang Tertib")
    await add_person(bot.rt.sessions, str(SITI), preferences=QUIET, nip=NIP, name="Siti Aminah")
    clock.set(wib(MONDAY, 11, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, SITI, sid)
    # The press records attendance and turns the prompt into the evaluation (edited in place).
    edited = await _press_edit(bot, SITI, prompt, HADIR)
    assert tg.callback_answers[-1].params["text"].startswith("✅ Kehadiran tercatat (11.00 WIB)")
    assert "Kehadiran tercatat" in edited and "Evaluasi singkat (1/3)" in edited
    assert "Evaluasi singkat (2/3)" in await _press_edit(bot, SITI, prompt, "5")
    assert "(3/3)" in await _press_edit(bot, SITI, prompt, "4")
    assert "Terima kasih atas penilaiannya" in await _press_edit(bot, SITI, prompt, "5")
    thanks = await bot.say(SITI, "Materinya sangat bermanfaat, terima kasih")
    assert "saran Bapak/Ibu kami sampaikan" in (thanks.text or "")
    assert len(tg.messages_to(SITI)) == 2  # the prompt and the thanks: no extra messages
    # 15 minutes after the end the certificate arrives as a PDF.
    clock.set(wib(MONDAY, 11, 14))  # type: ignore[attr-defined]
    await _tick(bot.rt)
    assert not tg.calls_of("sendDocument")
    clock.set(wib(MONDAY, 11, 15))  # type: ignore[attr-defined]
    await _tick(bot.rt)
    doc = await _certificate(bot, SITI)
    upload = doc.files["document"]
    assert upload.filename == "Sertifikat_DN-2026-000001_Arsip-Digital-yang-Tertib.pdf"
    assert "Nomor: DN/2026/000001" in (doc.text or "")
    text = pdf_text(upload.content)
    for part in ("Siti Aminah", f"NIP {format_nip(NIP)}", "Arsip Digital yang Tertib",
                 "2 JP", "DN/2026/000001", "Dr. Kepala Badan", "Senin, 23 November 2026"):
        assert part in text, part
    async with bot.rt.sessions() as s:
        cert = (await s.scalars(select(Certificate))).one()
    [url] = qr_codes(upload.content)
    assert url == f"{PUBLIC}/verifikasi/{cert.code}" and url in (doc.text or "")
    async with httpx.AsyncClient() as http:
        page = await http.get(_page_url(bot.rt, cert.code))
        assert page.status_code == 200 and "SAH" in page.text
        assert "Siti Aminah" in page.text and "1985**********2003" in page.text
        assert NIP not in page.text and page.headers["cache-control"] == "no-store"
        made_up = await http.get(_page_url(bot.rt, "ABCDEFGHIJKLMNOP"))
        assert made_up.status_code == 404 and "tidak ditemukan" in made_up.text
        assert (await http.get(_page_url(bot.rt, "x' OR 1=1"))).status_code == 404
        # A correction that removes the attendance revokes the certificate.
        reply = await bot.say(int(OWNER), f"/koreksi hapus {NIP} CERT-1 salah pencet")
        assert "Sertifikat DN/2026/000001 dicabut" in (reply.text or "")
        page = await http.get(_page_url(bot.rt, cert.code))
        assert page.status_code == 200 and "DICABUT" in page.text and "SAH" not in page.text
    notice = await tg.wait_for(lambda c: c.chat_id == SITI and "dicabut" in (c.text or ""),
                               timeout=10)
    assert "DN/2026/000001" in (notice.text or "") and "kehadiran dihapus" in (notice.text or "")


async def test_sertifikat_lists_and_sends_again_and_the_rekap(cert_bot: TelegramBot) -> None:
    bot, tg, clock = cert_bot, cert_bot.tg, cert_bot.rt.clock
    sid = await add_session(bot.rt.sessions, code="CERT-2", start=(9, 0), hours=1, jp=1.5,
                            evaluation="tidak", title="Etika Pelayanan")
    await add_person(bot.rt.sessions, str(BUDI), preferences=QUIET, nip=NIP, name="Budi")
    empty = await bot.say(BUDI, "/sertifikat")
    assert "Belum ada sertifikat" in (empty.text or "")
    clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    await bot.press(BUDI, await _prompt(bot, BUDI, sid), HADIR)
    clock.set(wib(MONDAY, 10, 20))  # type: ignore[attr-defined]
    await _tick(bot.rt)
    first = await _certificate(bot, BUDI)
    listed = await bot.say(BUDI, "/sertifikat")
    assert "DN/2026/000001" in (listed.text or "") and "Etika Pelayanan" in (listed.text or "")
    since = len(tg.sent)
    await bot.press(BUDI, listed, listed.button_texts[0])
    again = await tg.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == BUDI,
                              since=since, timeout=20)
    assert "dikirim ulang" in (again.text or "")
    assert pdf_text(again.files["document"].content) == pdf_text(first.files["document"].content)
    since = len(tg.sent)
    await bot.press(BUDI, listed, "📊 Rekap JP 2026")
    rekap = await tg.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == BUDI,
                              since=since, timeout=20)
    assert rekap.files["document"].filename == "Rekap-JP_2026_Budi.pdf"
    transcript = pdf_text(rekap.files["document"].content)
    assert "Rekap JP 2026" in transcript and "Etika Pelayanan" in transcript
    assert "DN/2026/000001" in transcript and "Total: 1,5 JP dari target 20 JP" in transcript


async def test_an_admin_sees_a_sample_before_the_session(cert_bot: TelegramBot) -> None:
    bot = cert_bot
    sid = await add_session(bot.rt.sessions, code="CERT-3", day=MONDAY + timedelta(days=3),
                            programme="asn-belajar", jp=3, title="Kepemimpinan Digital")
    sample = await bot.say(int(OWNER), f"/sertifikat contoh {sid}")
    assert sample.method == "sendDocument" and "Contoh sertifikat" in (sample.text or "")
    text = pdf_text(sample.files["document"].content)
    assert "CONTOH" in text and "Kepemimpinan Digital" in text and "3 JP" in text
    refused = await bot.say(SITI, "/sertifikat contoh CERT-3")
    assert refused.method == "sendMessage" and "hanya untuk admin" in (refused.text or "")


async def test_one_certificate_across_a_restart(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> None:
    async with FakeTelegram() as tg:
        settings = _settings(make_settings, tg)
        async with running(settings, clock) as rt:
            sid = await add_session(rt.sessions, code="CERT-4", start=(9, 0), hours=1, jp=2,
                                    evaluation="tidak")
            await add_person(rt.sessions, str(SITI), preferences=QUIET, nip=NIP)
            bot = TelegramBot(tg, rt)
            clock.set(wib(MONDAY, 10, 0))
            await bot.press(SITI, await _prompt(bot, SITI, sid), HADIR)
            clock.set(wib(MONDAY, 10, 30))
            await _tick(rt)
            await _certificate(bot, SITI)
        # Started again (its catch-up runs the sweep), then a few more minutes of ticks.
        async with running(settings, clock) as rt:
            for minute in (31, 32, 45):
                clock.set(wib(MONDAY, 10, minute))
                await _tick(rt)
            await asyncio.sleep(0.5)
            assert len(tg.calls_of("sendDocument")) == 1
            async with rt.sessions() as s:
                assert len(list(await s.scalars(select(Certificate)))) == 1
                assert (await s.get(LearningSession, sid)) is not None


async def test_quiz_retry_and_a_review_days_later(cert_bot: TelegramBot) -> None:
    bot, tg, clock = cert_bot, cert_bot.tg, cert_bot.rt.clock
    sid = await add_session(bot.rt.sessions, code="QUIZ-1", start=(9, 0), hours=1, jp=2,
                            evaluation="tidak", title="Kearsipan")
    await add_quiz(bot.rt.sessions, sid)
    await add_person(bot.rt.sessions, str(BUDI), preferences=QUIET, nip=NIP, name="Budi")
    clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, BUDI, sid)
    assert "kuis singkat" in await _press_edit(bot, BUDI, prompt, HADIR)
    assert "Soal 1/3" in await _press_edit(bot, BUDI, prompt, "📝 Kerjakan kuis")
    assert "Jawaban yang benar: B" in await _press_edit(bot, BUDI, prompt, "A")
    await _press_edit(bot, BUDI, prompt, "A")  # wrong: C
    result = await _press_edit(bot, BUDI, prompt, "A")  # right
    assert "Belum lulus: benar 1 dari 3" in result
    assert "Percobaan ke-2" in await _press_edit(bot, BUDI, prompt, "🔁 Coba lagi")
    await _press_edit(bot, BUDI, prompt, "B")
    await _press_edit(bot, BUDI, prompt, "C")
    assert "Lulus! Benar 3 dari 3" in await _press_edit(bot, BUDI, prompt, "A")
    assert len(tg.messages_to(BUDI)) == 1  # all of it in the prompt's message
    # Tuesday, after the morning menu: one of the questions answered wrong comes back.
    clock.set(wib(MONDAY + timedelta(days=1), 7, 0))  # type: ignore[attr-defined]
    await _tick(bot.rt)  # (the sweep sends the certificate too)
    review = await tg.next_message(BUDI, timeout=10)
    while review.method == "sendDocument":
        review = await tg.next_message(BUDI, timeout=10)
    assert "Ulas kembali" in (review.text or "") and review.button_texts == ["A", "B", "C", "D"]
    right = "B" if "Arsip dinamis" in (review.text or "") else "C"
    answered = await _press_edit(bot, BUDI, review, right)
    assert "Benar!" in answered and "3 hari lagi" in answered
    rekap = await bot.say(BUDI, "/rekap")
    assert "Kearsipan: 3/3 ✅" in (rekap.text or "") and "Minggu ini" in (rekap.text or "")

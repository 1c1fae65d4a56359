"""Certificates, evaluation and the quiz on WhatsApp end to end: the rating as a list, the PDF
uploaded as media and sent as a document inside the 24-hour window, the approved template
with the PDF as its document header outside it; the quiz as the proof of attendance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from core.clock import FixedClock
from db.models import Certificate, Identity, OutboxMessage
from schedules.attendance_prompts import HADIR, plan_due_prompts
from schedules.nudges import NudgeConfig
from tests.auxil.pdf import pdf_text, qr_codes
from tests.e2e.whatsapp_bot import WhatsAppBot, choice, running_bot, texts, whatsapp_env
from tests.fakes.whatsapp_server import FakeWhatsApp, SentMessage
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib
from tests.schedules.quiz_helpers import add_quiz

PUBLIC = "https://dahar-ngopi.example.go.id"
ANI, BAYU = "6281234500011", "6281234500012"
NIP = "198507142010012003"
QUIET = {"menu": False}


@pytest.fixture
async def cert_wa(make_settings: Callable[..., Settings], clock: FixedClock,
                  wa: FakeWhatsApp) -> AsyncIterator[WhatsAppBot]:
    """The bot on WhatsApp with certificates on."""
    # No pause between two messages to one person: the test clock stands still.
    settings = make_settings(whatsapp_env(wa, PUBLIC_URL=PUBLIC, WHATSAPP_PAIR_INTERVAL="0"))
    async with running_bot(settings, clock, wa) as running:
        yield running


async def _wrote(bot: WhatsAppBot, wa_id: str, ago: timedelta) -> None:
    async with bot.rt.sessions() as s, s.begin():
        for ident in await s.scalars(select(Identity).where(Identity.external_id == wa_id)):
            ident.last_inbound_at = bot.rt.clock.now() - ago


async def _drain(bot: WhatsAppBot) -> None:
    for _ in range(500):
        async with bot.rt.sessions() as s:
            waiting = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(("pending", "sending"))))
        if not waiting:
            return
        await asyncio.sleep(0.02)
    async with bot.rt.sessions() as s:
        rows = [(r.idem_key, r.status, r.not_before, r.last_error) for r in await s.scalars(
            select(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending"))))]
    raise TimeoutError(f"outbox not drained: {rows}")


async def _prompt(bot: WhatsAppBot, wa_id: str) -> SentMessage:
    rt = bot.rt
    await plan_due_prompts(rt.sessions, NudgeConfig.from_config(rt.deps.config, ["whatsapp"]),
                           now=rt.clock.now(), agency_tz=rt.settings.tz,
                           close=rt.settings.attendance_close)
    await _drain(bot)
    return bot.wa.messages_to(wa_id)[-1]


async def _sweep(bot: WhatsAppBot) -> None:
    await bot.rt.extras["background"].planner.tick()  # type: ignore[attr-defined]
    await _drain(bot)


async def test_evaluation_list_then_the_certificate_as_a_document(
    cert_wa: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    bot, clock = cert_wa, cert_wa.rt.clock
    await add_session(bot.rt.sessions, code="WAC-1", start=(9, 0), hours=2, jp=2,
                      title="Arsip Digital", evaluation="wajib")
    await add_person(bot.rt.sessions, ANI, channel="whatsapp", nip=NIP, name="Ani Lestari",
                     preferences=QUIET)
    await _wrote(bot, ANI, timedelta(hours=1))
    clock.set(wib(MONDAY, 11, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, ANI)
    sent = await bot.press(ANI, prompt.choices[0])
    assert "Kehadiran tercatat" in texts(sent) and "*Evaluasi singkat* (1/3)" in texts(sent)
    rating = sent[-1]
    assert rating.payload["interactive"]["type"] == "list"  # five scores: a list
    assert [t for _, t in rating.choices] == ["1", "2", "3", "4", "5"]  # wajib: no skip
    clock.set(wib(MONDAY, 11, 20))  # type: ignore[attr-defined]
    await _sweep(bot)  # the certificate waits for the evaluation
    assert not wa.uploads
    for _ in range(3):
        sent = await bot.pick(ANI, choice(sent, "4"))
    assert "Terima kasih atas penilaiannya" in texts(sent)
    await _sweep(bot)
    doc = wa.messages_to(ANI)[-1]
    assert doc.type == "document"
    media = wa.uploads[doc.payload["document"]["id"]]
    assert media.mime_type == "application/pdf"
    assert doc.payload["document"]["filename"] == "Sertifikat_DN-2026-000001_Arsip-Digital.pdf"
    assert "Nomor: DN/2026/000001" in doc.body
    assert "Ani Lestari" in pdf_text(media.data) and "Arsip Digital" in pdf_text(media.data)
    async with bot.rt.sessions() as s:
        code = (await s.scalars(select(Certificate.code))).one()
    assert qr_codes(media.data) == [f"{PUBLIC}/verifikasi/{code}"]


async def test_outside_the_window_the_template_carries_the_pdf(
    cert_wa: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    bot, clock = cert_wa, cert_wa.rt.clock
    wa.register_template("dahar_ngopi_presensi", params=1, quick_replies=1)
    wa.register_template("dahar_ngopi_sertifikat", params=2, document_header=True)
    await add_session(bot.rt.sessions, code="WAC-2", start=(9, 0), hours=1, jp=3,
                      evaluation="tidak", programme="asn-belajar", title="Etika Pelayanan")
    await add_person(bot.rt.sessions, BAYU, channel="whatsapp", nip=NIP, preferences=QUIET)
    await _wrote(bot, BAYU, timedelta(hours=2))
    clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, BAYU)
    assert "Kehadiran tercatat" in texts(await bot.press(BAYU, prompt.choices[0]))
    # A day later the window is closed: the template goes, with the PDF in its header.
    await _wrote(bot, BAYU, timedelta(hours=30))
    wa.window_closed(BAYU)
    clock.set(wib(MONDAY + timedelta(days=1), 9, 0))  # type: ignore[attr-defined]
    await _sweep(bot)
    sent = wa.messages_to(BAYU)[-1]
    assert sent.type == "template" and sent.payload["template"]["name"] == (
        "dahar_ngopi_sertifikat")
    assert sent.body == "Etika Pelayanan | nomor DN/2026/000001"
    [header] = [c for c in sent.payload["template"]["components"] if c["type"] == "header"]
    document = header["parameters"][0]["document"]
    assert document["filename"] == "Sertifikat_DN-2026-000001_Etika-Pelayanan.pdf"
    assert "Etika Pelayanan" in pdf_text(wa.uploads[document["id"]].data)


async def test_the_quiz_is_the_proof_of_attendance(cert_wa: WhatsAppBot, wa: FakeWhatsApp
                                                   ) -> None:
    bot, clock = cert_wa, cert_wa.rt.clock
    sid = await add_session(bot.rt.sessions, code="WAC-3", start=(9, 0), hours=1, jp=2,
                            evaluation="tidak", proof="kuis")
    await add_quiz(bot.rt.sessions, sid)
    await add_person(bot.rt.sessions, ANI, channel="whatsapp", nip=NIP, preferences=QUIET)
    await _wrote(bot, ANI, timedelta(hours=1))
    clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, ANI)
    assert "kuis singkat" in prompt.body and prompt.choices[0][1] == HADIR
    intro = await bot.press(ANI, prompt.choices[0])
    assert "lulus bila benar 2" in texts(intro)
    sent = await bot.press(ANI, choice(intro, "Mulai kuis"))
    assert "Soal 1/3" in texts(sent)
    assert [t for _, t in sent[-1].choices] == ["A", "B", "C", "D"]  # four: a list
    sent = await bot.pick(ANI, choice(sent, "B"))  # right
    assert "✅ *Benar!*" in texts(sent) and "Soal 2/3" in texts(sent)
    sent = await bot.pick(ANI, choice(sent, "A"))  # wrong (C is right)
    assert "Jawaban yang benar: *C*" in texts(sent)
    sent = await bot.pick(ANI, choice(sent, "A"))  # right
    assert "Lulus!" in texts(sent) and "Kehadiran tercatat" in texts(sent)
    clock.set(wib(MONDAY, 10, 20))  # type: ignore[attr-defined]
    await _sweep(bot)
    assert wa.messages_to(ANI)[-1].type == "document"

"""Attendance on WhatsApp end to end: the person's side of the Telegram scenarios, through
signed webhooks to the running bot and the fake Cloud API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from db.models import Identity, OutboxMessage
from schedules.attendance_prompts import HADIR, plan_due_prompts
from schedules.nudges import NudgeConfig
from tests.e2e.whatsapp_bot import WhatsAppBot, choice, texts
from tests.fakes.whatsapp_server import FakeWhatsApp, SentMessage
from tests.fakes.whatsapp_webhook import template_button_body
from tests.handlers.attendance_helpers import (
    MONDAY,
    add_person,
    add_session,
    attendance_rows,
    wib,
)

ANI, BAYU = "6281234500001", "6281234500002"
QUIET = {"menu": False}  # the running scheduler would send the morning menu too


async def _wrote_recently(bot: WhatsAppBot, *wa_ids: str, ago: timedelta) -> None:
    async with bot.rt.sessions() as s, s.begin():
        for ident in await s.scalars(select(Identity).where(Identity.external_id.in_(wa_ids))):
            ident.last_inbound_at = bot.rt.clock.now() - ago


async def _prompts(bot: WhatsAppBot, wa: FakeWhatsApp, *wa_ids: str) -> dict[str, SentMessage]:
    """Plan the prompts as the scheduler does; the bot's own outbox dispatcher delivers."""
    rt = bot.rt
    before = {w: len(wa.messages_to(w)) for w in wa_ids}
    await plan_due_prompts(rt.sessions, NudgeConfig.from_config(rt.deps.config, ["whatsapp"]),
                           now=rt.clock.now(), agency_tz=rt.settings.tz,
                           close=rt.settings.attendance_close)
    for _ in range(500):
        async with rt.sessions() as s:
            waiting = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(("pending", "sending"))))
        if not waiting and all(len(wa.messages_to(w)) > before[w] for w in wa_ids):
            break
        await asyncio.sleep(0.02)
    return {w: wa.messages_to(w)[-1] for w in wa_ids}


async def test_prompt_press_double_and_stale_on_whatsapp(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    sid = await add_session(bot.rt.sessions, code="WA-1", start=(9, 0), hours=1,
                            title="Arsip Digital", recording_url="https://youtu.be/r1")
    pid = await add_person(bot.rt.sessions, ANI, channel="whatsapp", nip="198507142010012003",
                           preferences=QUIET)
    await _wrote_recently(bot, ANI, ago=timedelta(hours=1))
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = (await _prompts(bot, wa, ANI))[ANI]
    assert prompt.type == "interactive" and "Apakah Bapak/Ibu mengikuti" in prompt.body
    assert "https://youtu.be/r1" in prompt.body
    assert [title for _, title in prompt.choices] == [HADIR]
    button = prompt.choices[0]
    assert bot.rt.deps.signer.verify(str(pid), button[0]) == f"att:{sid}"
    done = texts(await bot.press(ANI, button))
    assert "Kehadiran tercatat" in done and "+2 JP" in done
    bot.rt.clock.set(wib(MONDAY, 10, 5))  # type: ignore[attr-defined]
    again = texts(await bot.press(ANI, button))
    assert "sudah tercatat pada Senin, 23 November 2026 pukul 10.00 WIB" in again
    bot.rt.clock.set(wib(MONDAY + timedelta(days=1), 9, 0))  # type: ignore[attr-defined]
    stale = texts(await bot.press(ANI, button))
    assert "sudah tercatat" in stale
    rows = await attendance_rows(bot.rt.sessions)
    assert [(r[0], r[1], r[3]) for r in rows] == [(pid, sid, "whatsapp")]


async def test_forged_and_foreign_buttons_on_whatsapp(bot: WhatsAppBot, wa: FakeWhatsApp) -> None:
    sid = await add_session(bot.rt.sessions, code="WA-2", start=(9, 0), hours=1)
    await add_person(bot.rt.sessions, ANI, channel="whatsapp", preferences=QUIET)
    await add_person(bot.rt.sessions, BAYU, channel="whatsapp", preferences=QUIET)
    await _wrote_recently(bot, ANI, BAYU, ago=timedelta(hours=1))
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompts = await _prompts(bot, wa, ANI, BAYU)
    anis = prompts[ANI].choices[0]
    assert "tidak berlaku" in texts(await bot.press(BAYU, anis))  # Ani's button, Bayu presses
    for forged in (f"att:{sid}", f"AAAAAAAA.att:{sid}"):
        assert "tidak berlaku" in texts(await bot.press(ANI, (forged, HADIR)))
    assert await attendance_rows(bot.rt.sessions) == []


async def test_codes_and_a_missing_nip_on_whatsapp(bot: WhatsAppBot, wa: FakeWhatsApp) -> None:
    sid = await add_session(bot.rt.sessions, code="WA-3", start=(9, 0), hours=1,
                            attendance_code="KOPI", programme="asn-belajar", jp=3)
    pid = await add_person(bot.rt.sessions, ANI, channel="whatsapp", nip=None,
                           preferences=QUIET)
    await _wrote_recently(bot, ANI, ago=timedelta(hours=1))
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = (await _prompts(bot, wa, ANI))[ANI]
    asked = texts(await bot.press(ANI, prompt.choices[0]))
    assert "kode presensi" in asked
    assert "Kode presensi salah" in texts(await bot.say(ANI, "TEH"))
    assert await attendance_rows(bot.rt.sessions) == []
    done = await bot.say(ANI, "kopi")
    assert "Kehadiran tercatat" in texts(done) and "NIP Bapak/Ibu belum diisi" in texts(done)
    assert "Total: 0 JP" in texts(await bot.say(ANI, "rekap"))
    nip_question = await bot.press(ANI, choice(done, "Isi NIP"))
    assert "NIP" in texts(nip_question)
    assert "Data diperbarui" in texts(await bot.say(ANI, "198507142010012003"))
    assert "Total: 3 JP" in texts(await bot.say(ANI, "rekap"))
    assert [(r[0], r[1]) for r in await attendance_rows(bot.rt.sessions)] == [(pid, sid)]


async def test_outside_the_24_hour_window_the_template_quick_reply_records(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    sid = await add_session(bot.rt.sessions, code="WA-4", start=(9, 0), hours=1,
                            title="Etika Pelayanan", programme="asn-belajar")
    pid = await add_person(bot.rt.sessions, ANI, channel="whatsapp", nip="198507142010012003",
                           preferences=QUIET)
    await _wrote_recently(bot, ANI, ago=timedelta(hours=30))
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    template = (await _prompts(bot, wa, ANI))[ANI]
    assert template.type == "template"
    assert template.payload["template"]["name"] == "dahar_ngopi_presensi"
    assert template.body == "ASN Belajar: Etika Pelayanan"
    [button] = [c for c in template.payload["template"]["components"] if c["type"] == "button"]
    payload = button["parameters"][0]["payload"]
    assert bot.rt.deps.signer.verify(str(pid), payload) == f"att:{sid}"
    done = texts(await bot.send(ANI, template_button_body(ANI, payload, "Hadir")))
    assert "Kehadiran tercatat" in done
    assert [(r[0], r[1], r[3]) for r in await attendance_rows(bot.rt.sessions)] == [
        (pid, sid, "whatsapp")]

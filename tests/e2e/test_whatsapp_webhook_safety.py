"""The webhook over real HTTP: signatures, retries, broken bodies, every real sample, crashes."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.http_server import HttpServer, build_app
from bot.runtime import build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from core.types import Attachment
from db.inbox import inbox_counts
from db.models import ConversationState, Identity, InboxMessage
from tests.e2e.whatsapp_bot import WhatsAppBot, running_bot, texts, whatsapp_env
from tests.fakes.whatsapp_server import FakeWhatsApp
from tests.fakes.whatsapp_webhook import document_body, envelope, post_signed, text_body

SAMPLES = Path(__file__).parents[1] / "data" / "whatsapp-webhook-samples"
WA_ID = "6281234567890"


async def _counts(bot: WhatsAppBot) -> dict[str, int]:
    async with bot.rt.sessions() as s:
        return await inbox_counts(s)


@pytest.mark.parametrize("signature", ["bad", "missing"])
async def test_unsigned_or_badly_signed_body_is_refused_and_not_processed(
    bot: WhatsAppBot, wa: FakeWhatsApp, signature: Any
) -> None:
    status, _ = await bot.post(text_body(WA_ID, "menu"), signature=signature)
    assert status == 401
    await bot.settle()
    assert await _counts(bot) == {}
    assert wa.sent == []
    async with bot.rt.sessions() as s:
        assert (await s.execute(select(Identity))).first() is None  # not even a contact


async def test_a_retried_webhook_is_processed_once(bot: WhatsAppBot, wa: FakeWhatsApp) -> None:
    body = text_body(WA_ID, "bantuan", wamid="wamid.RETRIED0001")
    first = await bot.send(WA_ID, body)
    assert len(first) == 1 and "Bantuan Dahar Ngopi" in first[0].body
    for _ in range(3):  # Meta re-delivers when our 200 got lost
        assert await bot.send(WA_ID, body) == []
    assert await _counts(bot) == {"done": 1}
    assert len(wa.messages_to(WA_ID)) == 1
    async with bot.rt.sessions() as s:
        row = (await s.execute(select(InboxMessage))).scalar_one()
    assert (row.body, row.replies) == ({}, None)  # what the person wrote is not kept


async def test_answered_rows_are_purged_after_eight_days(
    wa_settings: Settings, clock: FixedClock, wa: FakeWhatsApp
) -> None:
    async with running_bot(wa_settings, clock, wa) as bot:
        await bot.say(WA_ID, "bantuan")
        assert await _counts(bot) == {"done": 1}
    clock.advance(timedelta(days=8, minutes=1))
    async with running_bot(wa_settings, clock, wa) as bot:
        await bot.say(WA_ID, "menu")
        assert await _counts(bot) == {"done": 1}  # only today's


async def test_malformed_bodies_are_acknowledged_and_logged(
    bot: WhatsAppBot, wa: FakeWhatsApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for raw in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        status, _ = await bot.post(raw)
        assert status == 200
    weird = envelope({"messages": [{"id": "wamid.X", "type": "text"}]})  # no sender
    status, _ = await bot.post(weird)
    assert status == 200
    await bot.settle()
    assert "not a JSON object" in caplog.text
    assert "malformed" in caplog.text
    assert wa.sent == []
    # The server is still there and answers the next person.
    assert "Bantuan" in texts(await bot.say(WA_ID, "bantuan"))


def _sample_bodies() -> list[tuple[str, dict[str, Any]]]:
    files = sorted(SAMPLES.glob("*.json"))
    assert files, f"no webhook samples in {SAMPLES.resolve()}"
    return [(f"{p.stem}:{case}", body) for p in files
            for case, body in json.loads(p.read_text()).items()]


def _fresh_ids(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The samples reuse a few wamids; give each message its own, as Meta would."""
    body = copy.deepcopy(body)
    for entry in body.get("entry", []):
        for change in entry.get("changes", []):
            for i, msg in enumerate(change.get("value", {}).get("messages", [])):
                msg["id"] = f"wamid.SAMPLE{n:03d}.{i}"
    return body


async def test_every_real_sample_body_is_acknowledged(bot: WhatsAppBot, wa: FakeWhatsApp) -> None:
    samples = _sample_bodies()
    assert len(samples) > 40
    for n, (name, body) in enumerate(samples):
        status, _ = await bot.post(_fresh_ids(body, n))
        assert status == 200, name
    await bot.settle()
    # Messages were stored and answered; statuses, reactions, edits, calls and account
    # events were acknowledged without a row or an answer.
    assert await _counts(bot) == {"done": 26}
    text = [m.body for m in wa.messages_to("972987654321")]
    assert any("belum menemukan jawaban" in t for t in text)  # "Body Text", asked of the FAQ
    assert any("stiker" in t for t in text) and any("lokasi" in t for t in text)


async def test_a_message_acknowledged_before_a_crash_is_answered_after_restart(
    wa_settings: Settings, clock: FixedClock, wa: FakeWhatsApp
) -> None:
    # First life: the webhook stores and answers 200, then the process dies before
    # the inbox is worked (the processor never runs).
    rt = await build_runtime(wa_settings, clock, migrate=False)
    assert rt.whatsapp is not None
    await rt.whatsapp.start(process=False)
    server = HttpServer(build_app(rt.whatsapp.routes()), "127.0.0.1", 0)
    await server.start()
    status, _ = await post_signed(server.url + "/whatsapp/webhook",
                                  text_body(WA_ID, "menu", wamid="wamid.BEFORECRASH"),
                                  wa.app_secret)
    assert status == 200
    await server.stop()
    await rt.close()
    assert wa.sent == []

    # Second life: the stored message is processed and answered without Meta resending it.
    async with running_bot(wa_settings, clock, wa) as bot:
        sent = await wa.wait_for(lambda m: m.to == WA_ID)
        assert "Senin, 23 November 2026" in sent[0].body
        await bot.settle()
        async with bot.rt.sessions() as s:
            row = (await s.execute(select(InboxMessage))).scalar_one()
        assert (row.wamid, row.status, row.attempts) == ("wamid.BEFORECRASH", "done", 1)


async def test_replies_kept_before_a_crash_are_sent_and_not_handled_again(
    wa_settings: Settings, clock: FixedClock, wa: FakeWhatsApp
) -> None:
    # The core handled the message and kept its replies in the same transaction, but
    # the process died while sending them: after restart they are sent, and the
    # handler does not run a second time.
    async with running_bot(wa_settings, clock, wa) as bot:
        wa.stall_next(1.5)  # sending the reply hangs...
        status, _ = await bot.post(text_body(WA_ID, "mulai", wamid="wamid.HANDLEDONLY"))
        assert status == 200
        row = await _wait_for_row(bot, "wamid.HANDLEDONLY", "handled")
        assert row.replies and "UU No. 27 Tahun 2022" in str(row.replies[0]["text"])
        await bot.channel.inbox.stop(grace=0)  # ...and the process dies
        wa.state.stalls.clear()
    assert wa.messages_to(WA_ID) == []

    clock.advance(timedelta(minutes=10))  # the dead process's lease runs out
    async with running_bot(wa_settings, clock, wa) as bot:
        await bot.settle()
        sent = wa.messages_to(WA_ID)
        assert len(sent) == 1 and "UU No. 27 Tahun 2022" in sent[0].body
        row = await _wait_for_row(bot, "wamid.HANDLEDONLY", "done")
        assert row.attempts == 2
        async with bot.rt.sessions() as s:
            state = (await s.execute(select(ConversationState))).scalar_one()
        assert (state.flow, state.step) == ("registration", "consent")  # handled once


async def _wait_for_row(bot: WhatsAppBot, wamid: str, status: str) -> InboxMessage:
    for _ in range(250):
        async with bot.rt.sessions() as s:
            row = await s.scalar(select(InboxMessage).where(InboxMessage.wamid == wamid))
        if row is not None and row.status == status:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"{wamid} never became {status}")


async def test_documents_people_send_are_downloaded_from_the_media_endpoint(
    bot: WhatsAppBot, wa: FakeWhatsApp
) -> None:
    wa.add_media("7788990011", b"kode_sesi,tanggal\n", "text/csv", "jadwal.csv")
    data = await bot.channel.fetch(Attachment("jadwal.csv", "text/csv", file_id="7788990011"))
    assert data == b"kode_sesi,tanggal\n"
    with pytest.raises(ValueError, match="too large"):
        await bot.channel.fetch(Attachment("big.pdf", size=6 * 1024 * 1024, file_id="1"))


async def test_an_admin_sends_a_calendar_file_on_whatsapp(
    make_settings: Any, clock: FixedClock, wa: FakeWhatsApp
) -> None:
    settings = make_settings(whatsapp_env(wa, ADMIN_WHATSAPP_NUMBERS="+62 812-3456-7890",
                                          SAMPLE_CALENDAR="false"))
    csv = (Path(__file__).parents[2] / "docs" / "examples" / "jadwal-contoh.csv").read_bytes()
    wa.add_media("4455667788", csv, "text/csv", "jadwal-contoh.csv")
    async with running_bot(settings, clock, wa) as bot:
        sent = texts(await bot.send(WA_ID, document_body(
            WA_ID, "4455667788", filename="jadwal-contoh.csv", mime_type="text/csv")))
    assert "Jadwal diimpor" in sent

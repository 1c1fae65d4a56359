"""Announcements on WhatsApp through the outbox and the real client against the fake Cloud API:
text (Telegram HTML converted), a photo with a caption (uploaded once), and the template
for people outside the 24-hour window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.whatsapp import TemplateMessage, WhatsAppClient, WhatsAppSender
from core.clock import SystemClock
from core.types import Reply
from db.engine import Sessions
from schedules.announcements import Media, confirm, create_announcement, start_due
from tests.auxil.channels import CHANNELS
from tests.auxil.outbox import add_people, open_db
from tests.fakes.whatsapp_server import FakeWhatsApp

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
    "9c6360000002000154a24f5d0000000049454e44ae426082"
)
TEMPLATE = "dahar_ngopi_pengumuman"
FIRST = 6281200000000


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    engine, made = open_db(db_url)
    yield made
    await engine.dispose()


def from_meta(chat_id: str, reply: Reply) -> TemplateMessage | None:
    """Outside the window: the template named by the payload (as the channel does)."""
    spec = reply.template
    if spec is None or spec.kind != "announcement":
        return None
    return TemplateMessage(TEMPLATE, list(spec.params))


async def announce(sessions: Sessions, text: str, media: Media | None = None) -> int:
    now = datetime.now(UTC)
    async with sessions() as s, s.begin():
        ann = await create_announcement(s, created_by="telegram:9001", person_id=None,
                                        text=text, media=media, now=now)
        await confirm(s, ann.id, at=now, now=now, audience=0)
    await start_due(sessions, now=now, channels=[CHANNELS["whatsapp"]], only=ann.id)
    return ann.id


async def deliver(sessions: Sessions, wa: FakeWhatsApp) -> None:
    async with WhatsAppClient(token=wa.token, phone_number_id=wa.phone_number_id,
                              api_url=wa.api_url, pair_interval=0) as client:
        sender = WhatsAppSender(client, fallback=from_meta)
        await OutboxWorker(
            sessions, SystemClock(), [sender],
            limits={"whatsapp": ChannelLimits(rate=None, chat_rate=None)},
            config=WorkerConfig(poll_interval=0.05),
        ).run_until_idle(limit=15)


async def test_text_photo_and_template_on_whatsapp(sessions: Sessions, tmp_path: Path) -> None:
    await add_people(sessions, 3, channel="whatsapp", first_chat=FIRST,
                     preferred_channel="whatsapp")
    numbers = [str(FIRST + i) for i in range(3)]
    async with FakeWhatsApp() as wa:
        wa.register_template(TEMPLATE, params=1)
        wa.window_closed(numbers[2])
        await announce(sessions, "<strong>Penting:</strong> sesi <s>Senin</s> Selasa "
                       "<em>diundur</em> &amp; pindah ruang")
        await deliver(sessions, wa)
        for n in numbers[:2]:
            (msg,) = wa.messages_to(n)
            assert msg.type == "text"
            assert msg.body == "*Penting:* sesi ~Senin~ Selasa _diundur_ & pindah ruang"
        (closed,) = [m for m in wa.messages_to(numbers[2])]
        assert closed.type == "template" and closed.payload["template"]["name"] == TEMPLATE
        assert closed.body == "Penting: sesi Senin Selasa diundur & pindah ruang"

        # A photo the admin sent on Telegram: its local copy is uploaded to WhatsApp once.
        poster = tmp_path / "poster.png"
        poster.write_bytes(PNG)
        await announce(sessions, "<b>Poster</b> ASN Belajar", Media(
            kind="photo", channel="telegram", file_id="AgACAgTelegramFileId",
            filename="foto.jpg", mime_type="image/png", path=str(poster)))
        await deliver(sessions, wa)
        images = [m for n in numbers[:2] for m in wa.messages_to(n) if m.type == "image"]
        assert len(images) == 2 and len(wa.uploads) == 1
        (upload,) = wa.uploads.values()
        assert upload.data == PNG
        assert {m.payload["image"]["id"] for m in images} == {upload.media_id}
        assert {m.body for m in images} == {"*Poster* ASN Belajar"}
        template = [m for m in wa.messages_to(numbers[2]) if m.type == "template"]
        assert len(template) == 2 and template[1].body == "Poster ASN Belajar"

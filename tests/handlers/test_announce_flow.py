"""The /umumkan conversation against the core dispatcher, delivered by the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.models import Announcement
from schedules.announcer import Announcer
from tests.auxil.announce_chat import Chat
from tests.auxil.outbox import RecordingSender, add_people, rows
from tests.conftest import OWNER_ID

TOKEN = {"TELEGRAM_BOT_TOKEN": "123:abc"}


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    rt = await build_runtime(make_settings(TOKEN), clock, migrate=False)
    yield rt
    await rt.close()


def announcer(rt: Runtime) -> Announcer:
    return Announcer(rt.sessions, rt.clock, rt.deps.config, rt.deps.channels, rt.deps.regions,
                     rt.deps.signer, rates={"telegram": 30.0}, interval=0)


async def deliver(rt: Runtime, sender: RecordingSender) -> None:
    d = OutboxWorker(rt.sessions, rt.clock, [sender],
                         limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                         config=WorkerConfig(poll_interval=0.02))
    await d.run_until_idle(limit=10)


async def test_text_to_everyone_end_to_end(rt: Runtime) -> None:
    await add_people(rt.sessions, 5)
    admin = Chat(rt.dispatcher, OWNER_ID)
    out = Chat.text(await admin.say("/umumkan"))
    assert "Pengumuman baru" in out
    out = Chat.text(await admin.say("<b>Libur</b> & jadwal < baru"))
    assert "Kepada siapa" in out
    replies = await admin.press("Semua pelanggan")
    assert replies[2].text == "<b>Libur</b> &amp; jadwal &lt; baru"
    assert "Penerima:</b> 5" in replies[3].text
    replies = await admin.press("Kirim sekarang")
    assert "memulai pengiriman ke 5" in replies[0].text and replies[0].edit
    a = announcer(rt)
    await a.tick()
    await a.drain_enqueues()
    sender = RecordingSender()
    await deliver(rt, sender)
    to_people = [(c, r) for c, r in sender.sent if c != OWNER_ID]
    assert sorted(c for c, _ in to_people) == [str(1000 + i) for i in range(5)]
    assert {r.text for _, r in to_people} == {"<b>Libur</b> &amp; jadwal &lt; baru"}
    # The admin's confirm message (id 500) is edited with the progress.
    edits = [r for c, r in sender.sent if c == OWNER_ID]
    assert edits and all(r.edit_message_id == "500" for r in edits)
    await a.tick()
    async with rt.sessions() as s:
        ann = (await s.scalars(select(Announcement))).one()
    assert ann.status == "done" and ann.sent == 5 and ann.total == 5
    report = [r for r in await rows(rt.sessions, kind="reply") if r.idem_key == "ann-report:1"]
    assert len(report) == 1 and report[0].chat_id == OWNER_ID


async def test_segments_are_counted_by_the_database(rt: Runtime) -> None:
    from schedules.segments import Segment

    await add_people(rt.sessions, 3, first_chat=1000, preferred_channel="telegram",
                     instansi="BKD Kab. Gresik")
    await add_people(rt.sessions, 2, first_chat=2000, preferences={"muted": ["asn-mengaji"]},
                     instansi="Dinas 100% Digital")
    await add_people(rt.sessions, 2, first_chat=3000, channel="whatsapp",
                     preferred_channel="whatsapp")
    await add_people(rt.sessions, 1, first_chat=4000, registered=False)
    await add_people(rt.sessions, 1, first_chat=5000, reachable=False)
    await add_people(rt.sessions, 1, first_chat=6000, subscribed=False)
    both = ["telegram", "whatsapp"]
    async with rt.sessions() as s:
        assert await Segment().count(s, both) == {"telegram": 5, "whatsapp": 2}
        assert await Segment().count(s, ["telegram"]) == {"telegram": 5}
        assert await Segment(programme="asn-mengaji").count(s, both) == {"telegram": 3,
                                                                          "whatsapp": 2}
        assert await Segment(channel="whatsapp").count(s, both) == {"whatsapp": 2}
        assert await Segment(instansi="gresik").count(s, both) == {"telegram": 3}
        # LIKE wildcards in what the admin typed are taken literally.
        assert await Segment(instansi="100%").count(s, both) == {"telegram": 2}
        assert await Segment(instansi="0% d").count(s, both) == {"telegram": 2}
        assert await Segment(instansi="%").count(s, both) == {"telegram": 2}


async def test_cancel_batal_and_list(rt: Runtime) -> None:
    await add_people(rt.sessions, 2)
    admin = Chat(rt.dispatcher, OWNER_ID)
    await admin.say("/umumkan Satu")
    assert "Dibatalkan" in Chat.text(await admin.say("/batal"))
    # The preview's buttons die with the conversation.
    assert "tidak berlaku" in Chat.text(await admin.press("Kirim sekarang"))
    await admin.say("/umumkan Dua")
    await admin.press("Kirim nanti")
    assert "sudah lewat" in Chat.text(await admin.say("hari ini 07.00"))
    scheduled = Chat.text(await admin.say("besok 09.00"))
    assert "dijadwalkan pada <b>24-11-2026 09.00 WIB</b> untuk ± 2 penerima" in scheduled
    listing = Chat.text(await admin.say("/pengumuman"))
    assert "#2</b> 🕒 terjadwal — <i>Dua</i>" in listing and "#1" not in listing
    assert "dibatalkan" in Chat.text(await admin.press("Batalkan jadwal")).lower()
    listing = Chat.text(await admin.say("/pengumuman"))
    assert "#2</b> ⏹ dihentikan" in listing
    a = announcer(rt)
    rt.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    await a.tick()
    assert await rows(rt.sessions) == []


async def test_started_once_and_an_interrupted_start_is_resumed(rt: Runtime) -> None:
    from schedules.announcements import claim_due, confirm, create_announcement

    await add_people(rt.sessions, 7)
    now = rt.clock.now()
    async with rt.sessions() as s, s.begin():
        ann = await create_announcement(s, created_by="cli", person_id=None, text="x",
                                        media=None, now=now)
        await confirm(s, ann.id, at=now, now=now, audience=7)
    # Two processes look at once: one claims it.
    assert await claim_due(rt.sessions, now=now) == [ann.id]
    assert await claim_due(rt.sessions, now=now) == []
    # The claimer died before writing the rows; a later announcer resumes it (not too soon).
    a = announcer(rt)
    await a.tick()
    await a.drain_enqueues()
    assert await rows(rt.sessions) == []
    rt.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    await a.tick()
    await a.drain_enqueues()
    assert len(await rows(rt.sessions, kind="announcement")) == 7
    await a.tick()
    await a.drain_enqueues()
    assert len(await rows(rt.sessions, kind="announcement")) == 7


async def test_every_audience_choice_and_a_document(rt: Runtime) -> None:
    from core.types import Attachment, Incoming

    await add_people(rt.sessions, 2, first_chat=1000, instansi="Dinas Pendidikan Kab. Gresik")
    await add_people(rt.sessions, 3, first_chat=2000, instansi="BKD",
                     preferences={"muted": ["asn-belajar"]})
    admin = Chat(rt.dispatcher, OWNER_ID)
    await admin.say("/umumkan")
    doc = Attachment("jadwal.csv", "text/csv", 10, "DOC-1")
    replies = await rt.dispatcher.handle(Incoming("telegram", OWNER_ID, OWNER_ID,
                                                  text="Jadwal <i>baru</i>", document=doc))
    admin.replies += replies
    assert "Kepada siapa" in Chat.text(replies)  # the announcement's, not a calendar import
    await admin.press("Per instansi")
    out = await admin.say("pendidikan")
    assert "Penerima:</b> 2 — instansi memuat “pendidikan”" in Chat.text(out)
    assert out[2].document is not None and out[2].document.file_id == "DOC-1"
    assert out[2].text == "Jadwal <i>baru</i>"
    await admin.press("Ubah penerima")
    await admin.press("Per program")
    out = await admin.press("ASN Belajar")
    assert "Penerima:</b> 2 — pelanggan ASN Belajar" in Chat.text(out)
    await admin.press("Ubah penerima")
    await admin.press("Per kanal")
    out = await admin.press("Telegram (")
    assert "Penerima:</b> 0 — pengguna Telegram" in Chat.text(out)  # nobody chose a channel
    assert "Kirim sekarang" not in Chat.text(out)
    await admin.press("Ubah penerima")
    out = await admin.press("Semua pelanggan")
    assert "Penerima:</b> 5 — semua pelanggan" in Chat.text(out)
    bad = await admin.say("<b>tebal")
    assert "Silakan tekan tombol" in Chat.text(bad)


async def test_wrong_html_and_overlong_texts_are_explained(rt: Runtime) -> None:
    admin = Chat(rt.dispatcher, OWNER_ID)
    await admin.say("/umumkan")
    out = Chat.text(await admin.say("<b>Rapat <i>penting</b></i> <br> besok"))
    assert "Teks belum dapat dikirim" in out
    assert "&lt;/b&gt; ditulis sebelum &lt;/i&gt;" in out and "&lt;br&gt;" in out
    out = Chat.text(await admin.say("x" * 4097))  # over 1,000 is fine inside the flow
    assert "terlalu panjang: 4.097 karakter (maksimal 4.096)" in out
    assert "Kepada siapa" in Chat.text(await admin.say("<b>Rapat</b> besok"))

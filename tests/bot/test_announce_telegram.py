"""Announcements end to end: the real PTB stack, outbox and announcer against the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import FixedClock, SystemClock
from db.models import Announcement, Person
from tests.auxil.announce_stack import Stack, running_stack
from tests.auxil.outbox import add_people
from tests.conftest import MONDAY_MORNING
from tests.fakes.telegram_server import FakeTelegram, SentCall

ADMIN = 9001


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[Stack]:
    async with FakeTelegram() as tg, running_stack(tg, db_url, SystemClock()) as st:
        yield st


async def reply_to_admin(tg: FakeTelegram, text: str, user: int = ADMIN) -> SentCall:
    tg.user_message(user, text)
    return await tg.next_message(user)


async def finished(st: Stack, within: float = 20.0) -> Announcement:
    """Wait until the (only) announcement is done or stopped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with st.rt.sessions() as s:
            ann = (await s.scalars(select(Announcement))).first()
        if ann is not None and ann.status in ("done", "stopped"):
            return ann
        assert loop.time() < deadline, f"announcement still {ann.status if ann else None}"
        await asyncio.sleep(0.05)


async def test_text_announcement_to_everyone(stack: Stack) -> None:
    tg = stack.tg
    await add_people(stack.rt.sessions, 20, first_chat=5000)
    intro = await reply_to_admin(tg, "/umumkan")
    assert "Pengumuman baru" in (intro.text or "")
    question = await reply_to_admin(tg, "<b>Penting:</b> sesi Kamis <i>diundur</i> & pukul 13.00")
    tg.press(ADMIN, question, button="👥 Semua pelanggan")
    await tg.next_message(ADMIN)  # "Pratinjau"
    shown = await tg.next_message(ADMIN)
    assert shown.text == "<b>Penting:</b> sesi Kamis <i>diundur</i> &amp; pukul 13.00"
    assert shown.message is not None
    assert shown.message["text"] == "Penting: sesi Kamis diundur & pukul 13.00"
    confirm = await tg.next_message(ADMIN)
    assert "Penerima:</b> 20" in (confirm.text or "")
    tg.press(ADMIN, confirm, button="✅ Kirim sekarang")
    ann = await finished(stack)
    assert ann.sent == 20 and ann.blocked == 0 and ann.failed == 0
    got = [tg.messages_to(5000 + i) for i in range(20)]
    assert all(len(m) == 1 for m in got)
    assert {m[0].message["text"] for m in got if m[0].message} == {  # type: ignore[index]
        "Penting: sesi Kamis diundur & pukul 13.00"}
    # The confirm message became the progress message, edited to the final figures.
    await tg.wait_until(lambda: "selesai" in tg.message(ADMIN, confirm.message_id or 0)
                        .get("text", ""))
    final = tg.message(ADMIN, confirm.message_id or 0)
    assert "Terkirim: 20" in final["text"] and "reply_markup" not in final
    report = await tg.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == ADMIN
                               and "Laporan pengumuman" in (c.text or ""))
    assert "Terkirim: 20" in (report.text or "")


# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
    "9c6360000002000154a24f5d0000000049454e44ae426082"
)


async def test_photo_with_caption_to_one_kabupaten(stack: Stack) -> None:
    tg = stack.tg
    await add_people(stack.rt.sessions, 6, first_chat=6000, region_code="3515")  # Sidoarjo
    await add_people(stack.rt.sessions, 6, first_chat=7000, region_code="3578")  # Surabaya
    await reply_to_admin(tg, "/umumkan")
    tg.user_photo(ADMIN, PNG, caption="<b>Poster</b> ASN Belajar Kamis")
    question = await tg.next_message(ADMIN)
    tg.press(ADMIN, question, button="📍 Per kabupaten/kota")
    await tg.wait_for("editMessageText")
    choices = await reply_to_admin(tg, "sidoarjo")
    tg.press(ADMIN, choices, button="Kab. Sidoarjo (Jawa Timur)")
    await tg.next_message(ADMIN)  # "Pratinjau"
    shown = await tg.next_message(ADMIN)
    assert shown.method == "sendPhoto" and shown.text == "<b>Poster</b> ASN Belajar Kamis"
    file_id = shown.params["photo"]
    confirm = await tg.next_message(ADMIN)
    assert "Penerima:</b> 6 — Kab. Sidoarjo" in (confirm.text or "")
    tg.press(ADMIN, confirm, button="✅ Kirim sekarang")
    ann = await finished(stack)
    assert ann.sent == 6 and ann.segment == {"region": "3515"}
    for i in range(6):
        (got,) = tg.messages_to(6000 + i)
        assert got.method == "sendPhoto" and got.params["photo"] == file_id
        assert got.message is not None and got.message["caption"] == "Poster ASN Belajar Kamis"
    assert all(not tg.messages_to(7000 + i) for i in range(6))


async def test_a_non_admin_is_refused_at_every_step(stack: Stack) -> None:
    tg = stack.tg
    stranger = 4242
    await add_people(stack.rt.sessions, 3, first_chat=5000)
    for text in ("/umumkan", "/umumkan Halo semua", "/pengumuman"):
        answer = await reply_to_admin(tg, text, user=stranger)
        assert "hanya untuk admin" in (answer.text or ""), text
    tg.user_photo(stranger, PNG, caption="pengumuman palsu")
    assert "tidak dapat kami proses" in ((await tg.next_message(stranger)).text or "")
    # The admin prepares one; the stranger presses the admin's buttons (in the admin's chat,
    # or forwarded to their own).
    await reply_to_admin(tg, "/umumkan Rapat koordinasi")
    await tg.next_message(ADMIN)
    confirm = await tg.next_message(ADMIN)
    assert confirm.message is not None
    forwarded = {**confirm.message, "chat": {"id": stranger, "type": "private",
                                             "first_name": "Orang"}}
    for label in ("✅ Kirim sekarang", "🕒 Kirim nanti", "👥 Ubah penerima", "❌ Batal"):
        before = len(tg.callback_answers)
        tg.press(stranger, confirm, button=label)
        await tg.wait_until(lambda b=before: len(tg.callback_answers) > b)  # type: ignore[misc]
        assert "chat pribadi" in tg.callback_answers[-1].params.get("text", ""), label
        before = len(tg.callback_answers)
        tg.press(stranger, forwarded, confirm.button(label)["callback_data"], strict=False)
        await tg.wait_until(lambda b=before: len(tg.callback_answers) > b)  # type: ignore[misc]
        assert "tidak berlaku" in tg.callback_answers[-1].params.get("text", ""), label
    # A stranger's own text is not taken as the admin's date, nor as an announcement.
    assert "Maaf" in ((await reply_to_admin(tg, "besok 07.00", user=stranger)).text or "")
    await asyncio.sleep(0.3)
    assert all(not tg.messages_to(5000 + i) for i in range(3))
    async with stack.rt.sessions() as s:
        ann = (await s.scalars(select(Announcement))).one()
    assert ann.status == "draft"
    # The admin's own press still works, and the stranger cannot stop it either.
    tg.press(ADMIN, confirm, button="✅ Kirim sekarang")
    await tg.wait_until(lambda: len(tg.messages_to(5000)) == 1)
    assert await finished(stack)


async def test_blocked_people_are_marked_inactive_and_reported(stack: Stack) -> None:
    tg = stack.tg
    ids = await add_people(stack.rt.sessions, 10, first_chat=5000)
    tg.block(5001)
    tg.block(5002)
    tg.chat_not_found(5003)
    confirm = await send_to_everyone(tg, "Uji laporan")
    tg.press(ADMIN, confirm, button="✅ Kirim sekarang")
    ann = await finished(stack)
    assert (ann.sent, ann.blocked, ann.failed) == (7, 2, 1)
    received = [c for i in range(10) for c in tg.messages_to(5000 + i)]
    assert len(received) == ann.sent
    async with stack.rt.sessions() as s:
        reachable = dict((await s.execute(select(Person.id, Person.reachable))).all())
    assert [reachable[i] for i in ids[:4]] == [True, False, False, True]
    report = await tg.wait_for(lambda c: c.chat_id == ADMIN
                               and "Laporan pengumuman" in (c.text or ""))
    text = report.text or ""
    assert "Terkirim: 7" in text and "Memblokir bot: 2 (kini ditandai tidak aktif)" in text
    assert "Gagal: 1" in text and "1× permanent: " in text and "hat not found" in text


async def send_to_everyone(tg: FakeTelegram, text: str) -> SentCall:
    """Compose `/umumkan TEXT` and return the confirm message."""
    await reply_to_admin(tg, f"/umumkan {text}")
    await tg.next_message(ADMIN)
    return await tg.next_message(ADMIN)


async def test_stop_cancels_what_was_not_sent(db_url: str) -> None:
    async with FakeTelegram() as tg, running_stack(tg, db_url, SystemClock(), rate=25.0,
                                                   interval=1.0) as st:
        await add_people(st.rt.sessions, 300, first_chat=5000)
        confirm = await send_to_everyone(tg, "Uji berhenti")
        tg.press(ADMIN, confirm, button="✅ Kirim sekarang")
        recipients = {5000 + i for i in range(300)}

        def delivered() -> int:
            return sum(1 for c in tg.sent if c.ok and c.method == "sendMessage"
                       and c.chat_id in recipients)

        def progress_edits() -> list[SentCall]:
            return [c for c in tg.calls_of("editMessageText", ADMIN)
                    if c.ok and c.params.get("message_id") == confirm.message_id
                    and "Sisa:" in (c.text or "")]

        await tg.wait_until(lambda: len(progress_edits()) >= 2, timeout=10)
        assert 0 < delivered() < 300
        tg.press(ADMIN, confirm.message_id or 0, button="⏹ Hentikan pengiriman")
        ann = await finished(st)
        assert ann.status == "stopped" and ann.cancelled > 0
        assert ann.sent + ann.cancelled == 300 and ann.sent == delivered()
        await asyncio.sleep(0.3)
        assert delivered() == ann.sent  # nothing went out after the end
        report = await tg.wait_for(lambda c: "Laporan pengumuman" in (c.text or ""))
        assert f"Dibatalkan (tidak dikirim): {ann.cancelled}" in (report.text or "")
        # Progress: the confirm message was edited in place, not more often than each second,
        # and ends with the final figures.
        await tg.wait_until(lambda: "dihentikan" in (progress_edits()[-1].text or ""))
        progress = progress_edits()
        assert len(progress) >= 3 and f"Terkirim: {ann.sent}" in (progress[-1].text or "")
        assert any("Perkiraan selesai" in (c.text or "") for c in progress)
        gaps = [b.at - a.at for a, b in itertools.pairwise(progress)]
        assert min(gaps) >= 0.9


async def test_scheduled_announcement_survives_a_restart_and_is_sent_once(db_url: str) -> None:
    clock = FixedClock(MONDAY_MORNING)
    async with FakeTelegram() as tg:
        async with running_stack(tg, db_url, clock) as st:
            await add_people(st.rt.sessions, 5, first_chat=5000)
            confirm = await send_to_everyone(tg, "Besok pagi ada apel")
            tg.press(ADMIN, confirm, button="🕒 Kirim nanti")
            await tg.wait_for("editMessageText")
            answer = await reply_to_admin(tg, "besok 07.00")
            assert "24-11-2026 07.00 WIB" in (answer.text or "")
            await asyncio.sleep(0.3)  # the announcer looks a few times: not due yet
        assert not tg.messages_to(5000)
        clock.advance(timedelta(days=1))  # Tuesday 08:00 WIB: past due
        for _restart in range(2):
            async with running_stack(tg, db_url, clock) as st:
                ann = await finished(st)
                await asyncio.sleep(0.3)
        assert ann.sent == 5
        assert [len(tg.messages_to(5000 + i)) for i in range(5)] == [1] * 5
        # Scheduled from a text message, the progress message is sent at the start.
        assert any("Pengumuman #1" in (c.text or "") for c in tg.messages_to(ADMIN))

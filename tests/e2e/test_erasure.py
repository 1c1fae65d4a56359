"""/hapusdata erases what identifies a person, the hard way: someone who used every feature
(registration, /tanya answered by an admin, attendance, a linked WhatsApp account, /pengingat,
an announcement, the FAQ) erases their data; then every String, Text and JSON column of every
table is searched for their name, NIP, office, chat ids and phone number."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from rich.console import Console
from sqlalchemy import JSON, String, func, select

from bot.cli import _parser
from bot.cli_announce import announce_cmd
from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.base import Base
from db.models import AuditEntry, LearningSession, OutboxMessage, Person, Question
from tests.auxil.running import running
from tests.conftest import OWNER_ID
from tests.e2e.whatsapp_bot import WhatsAppBot, texts, whatsapp_env
from tests.fakes.telegram_server import FakeTelegram, SentCall
from tests.fakes.whatsapp_server import FakeWhatsApp
from tests.handlers.attendance_helpers import MONDAY, wib

TG = 7345123987
WA = "6281298765432"
NAME = "Wiryawan Kusumadinata"
NIP = "198702152011011007"
OFFICE = "Dinas Perikanan Kab. Pacitan"
OTHER = 7345000111  # someone else who asks the same question
ADMIN = int(OWNER_ID)


@dataclass
class Bot:
    """The running bot on Telegram and WhatsApp, with person-like helpers."""

    tg: FakeTelegram
    wa: WhatsAppBot
    rt: Runtime

    async def say(self, user: int, text: str, expect: str) -> SentCall:
        """Type `text`; wait for the message to `user` that contains `expect`."""
        since = len(self.tg.sent)
        self.tg.user_message(user, text)
        return await self.tg.wait_for(
            lambda c: c.ok and c.chat_id == user and expect in (c.text or ""), since=since)

    async def press(self, user: int, message: SentCall, label: str) -> SentCall:
        """Press a button; return the toast (and wait for anything it sent)."""
        before = len(self.tg.callback_answers)
        self.tg.press(user, message, button=label)
        await self.tg.wait_until(lambda: len(self.tg.callback_answers) > before)
        return self.tg.callback_answers[-1]

    async def register(self, user: int, name: str, nip: str, office: str) -> None:
        intro = await self.say(user, "/mulai", "UU No. 27")
        await self.press(user, intro, "✅ Saya setuju")
        await self.tg.wait_for(lambda c: c.chat_id == user and "nama lengkap" in (c.text or ""))
        await self.say(user, name, "NIP")
        await self.say(user, nip, "instansi")
        choices = await self.say(user, office, "kabupaten/kota")
        choices = await self.say(user, "pacitan", "Pilih kabupaten/kota")
        since = len(self.tg.sent)
        await self.press(user, choices, "Kab. Pacitan (Jawa Timur)")
        tz = await self.tg.wait_for(
            lambda c: c.chat_id == user and "zona waktu" in (c.text or ""), since=since)
        since = len(self.tg.sent)
        await self.press(user, tz, "✅ WIB (disarankan)")
        await self.tg.wait_for(
            lambda c: c.chat_id == user and "Pendaftaran selesai" in (c.text or ""), since=since)


@pytest.fixture
async def bot(make_settings: Callable[..., Settings], clock: FixedClock, wa: FakeWhatsApp
              ) -> AsyncIterator[Bot]:
    async with FakeTelegram() as tg:
        settings = make_settings({**whatsapp_env(wa), "TELEGRAM_BOT_TOKEN": tg.token,
                                  "TELEGRAM_API_URL": tg.url})
        async with running(settings, clock) as rt:
            yield Bot(tg, WhatsAppBot(rt, wa), rt)


async def _everything_delivered(rt: Runtime) -> None:
    """Let time pass (the outbox paces each chat by the injected clock) until it is sent."""
    clock = rt.clock
    assert isinstance(clock, FixedClock)

    async def pending() -> int:
        async with rt.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(("pending", "sending")))) or 0)

    for _ in range(200):
        if not await pending():
            return
        clock.advance(timedelta(seconds=1))
        await asyncio.sleep(0.05)
    async with rt.sessions() as s:
        left = [(m.kind, m.channel, m.chat_id, m.status, m.not_before, m.attempts, m.last_error)
                for m in await s.scalars(select(OutboxMessage).where(
                    OutboxMessage.status.in_(("pending", "sending"))))]
    raise AssertionError(f"the outbox did not drain: {left}")


async def _scan(rt: Runtime, needles: list[str]) -> list[str]:
    """Every place a String, Text or JSON column of any table holds one of `needles`."""
    found: list[str] = []
    async with rt.sessions() as s:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if not columns:
                continue
            for row in (await s.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value,
                                                                          ensure_ascii=False)
                    found += [f"{table.name}.{column.name}: {n!r} in {text[:300]!r}"
                              for n in needles if n in text]
    return found


async def _announce(rt: Runtime, text: str) -> None:
    args = _parser().parse_args(["umumkan", "--text", text])
    console = Console(file=io.StringIO(), width=160)
    assert await announce_cmd(rt, args, console) == 0


async def _use_every_feature(bot: Bot, clock: FixedClock) -> None:
    tg, wa = bot.tg, bot.wa
    await bot.register(TG, NAME, NIP, OFFICE)
    await bot.register(OTHER, "Ratna Sulistyowati", "199003122014022002", "BKD Kab. Pacitan")
    # They help the agency too: an admin, told of questions, who exports attendance.
    await bot.say(ADMIN, f"/admin tambah telegram:{TG}", "kini admin")
    # Questions: one answered by the admin, one shared with someone else, one of their own.
    await bot.say(TG, "/tanya Apakah sertifikat ASN Belajar bisa dipakai untuk angka kredit?",
                  "#1")
    await tg.wait_for(lambda c: c.chat_id == ADMIN and "Pertanyaan #1" in (c.text or ""))
    await bot.say(ADMIN, "/jawab 1 Bisa, sebagai bukti pengembangan kompetensi.", "dikirim")
    await tg.wait_for(lambda c: c.chat_id == TG and "Jawaban BPSDM" in (c.text or ""))
    await bot.say(TG, "/tanya Kapan rekaman ASN Mengaji minggu lalu diunggah?", "#2")
    await bot.say(OTHER, "/tanya kapan rekaman asn mengaji minggu lalu diunggah ya", "#2")
    await bot.say(TG, "/tanya Bolehkah saya mengikuti dua sesi sekaligus?", "#3")
    await bot.say(TG, "/pengingat menu off", "Menu pagi: 🔕 nonaktif")
    # A linked WhatsApp account, and the FAQ asked there.
    shown = await bot.say(TG, "/hubungkan", "hubungkan")
    code = re.search(r"hubungkan (\d{6})", shown.text or "")
    assert code is not None
    linked = texts(await wa.send(WA, _wa_text(f"hubungkan {code.group(1)}")))
    assert "kini terhubung" in linked
    assert texts(await wa.send(WA, _wa_text("kapan sertifikat webinar terbit")))
    # Attendance at today's session, back on Telegram (scheduled messages follow).
    clock.set(wib(MONDAY, 14, 0))
    await bot.say(TG, "/hadir FBI5QQE", "Kehadiran tercatat")
    async with bot.rt.sessions() as s:
        session = (await s.execute(select(LearningSession).where(
            LearningSession.day == MONDAY))).scalar_one()
    # An admin corrects their attendance, with reasons that name them.
    await bot.say(ADMIN, f"/koreksi hapus {NIP} {session.code} {NAME} minta dicek ulang",
                  "Presensi dihapus")
    await bot.say(ADMIN, f"/koreksi tambah {NIP} {session.code} {NAME} hadir via Zoom",
                  "Presensi ditambahkan")
    await bot.say(TG, "/ekspor csv", "Ekspor presensi")
    # An announcement from the agency reaches them.
    await _announce(bot.rt, "Pengumuman uji: sertifikat Oktober sudah terbit.")
    await _everything_delivered(bot.rt)
    async with bot.rt.sessions() as s:
        got = [(m.channel, m.chat_id, m.status) for m in await s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "announcement"))]
    assert ("telegram", str(TG), "sent") in got
    assert any("Pengumuman uji" in (c.text or "") for c in tg.messages_to(TG))


def _wa_text(text: str) -> dict[str, object]:
    from tests.fakes.whatsapp_webhook import text_body

    return text_body(WA, text, name=NAME)


@pytest.mark.slow
async def test_erasure_leaves_nothing_that_identifies_the_person(
    bot: Bot, clock: FixedClock
) -> None:
    await _use_every_feature(bot, clock)
    needles = [NAME, NIP, OFFICE, str(TG), WA]
    before = await _scan(bot.rt, needles)
    assert len(before) > 10  # the scan sees them while they are there
    confirm = await bot.say(TG, "/hapusdata", "Hapus data pribadi")
    since = len(bot.tg.sent)
    await bot.press(TG, confirm, "🗑 Ya, hapus data saya")
    await bot.tg.wait_for(lambda c: c.chat_id == TG and "telah dihapus" in (c.text or ""),
                          since=since)
    await _everything_delivered(bot.rt)
    await bot.wa.settle()
    assert await _scan(bot.rt, needles) == []
    async with bot.rt.sessions() as s:
        asked = {q.id: (q.status, q.text) for q in await s.scalars(select(Question))}
        erased = (await s.execute(select(Person).where(Person.erased_at.is_not(None)))
                  ).scalar_one()
    # The shared question keeps the other asker's wording; their own is gone.
    assert asked[2] == ("open", "kapan rekaman asn mengaji minggu lalu diunggah ya")
    assert asked[3] == ("erased", "")
    assert asked[1][0] == "answered"
    assert erased.registered_at is None and erased.preferences == {}
    async with bot.rt.sessions() as s:
        audit = [(e.actor, e.detail) for e in await s.scalars(select(AuditEntry))]
    ref = f"person:{erased.id}"
    assert [a for a, _ in audit].count(ref) == 1  # their export, by id
    corrections = [d for _, d in audit if d.startswith(f"{ref}, sesi ")]
    assert len(corrections) == 2
    assert all(d.endswith(": (keterangan dihapus bersama data peserta)") for d in corrections)

    # The admins see an anonymous asker, and are told an answer cannot reach them.
    listed = await bot.say(ADMIN, "/pertanyaan", "Pertanyaan yang belum dijawab")
    assert "#2" in (listed.text or "") and "#3" not in (listed.text or "")
    assert "Penanya anonim (telah menghapus datanya)" in (listed.text or "")
    refused = await bot.say(ADMIN, "/jawab 3 Boleh.", "#3")
    assert "penanya telah menghapus datanya" in (refused.text or "")
    partly = await bot.say(ADMIN, "/jawab 2 Hari Jumat.", "#2")
    assert "dikirim kepada penanya" in (partly.text or "")
    assert "1 penanya lain telah menghapus datanya" in (partly.text or "")

    # Later, the same person registers again with the same NIP.
    await bot.register(TG, NAME, NIP, OFFICE)
    async with bot.rt.sessions() as s:
        again = (await s.execute(select(Person).where(Person.nip == NIP))).scalar_one()
    assert again.id != erased.id and again.full_name == NAME

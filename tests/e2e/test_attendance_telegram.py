"""Attendance end to end on Telegram: the prompt, presses, codes, NIPs, and the admin files."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.telegram.channel import TelegramChannel
from bot.telegram.send import TelegramSender
from db.models import LearningSession
from schedules.attendance_prompts import HADIR, plan_due_prompts
from schedules.nudges import NudgeConfig
from tests.e2e.conftest import TelegramBot
from tests.fakes.telegram_server import SentCall
from tests.handlers.attendance_helpers import (
    MONDAY,
    OWNER,
    add_person,
    add_session,
    attendance_rows,
    wib,
)

SITI, BUDI, RUDI = 6101, 6102, 6103
# The bot runs its scheduler too: people here want reminders and prompts, not the morning
# menu, so the next message to them is what the test expects.
QUIET = {"menu": False}


async def _prompt(bot: TelegramBot, user: int, session_id: int) -> SentCall:
    """Plan the after-session prompts and deliver them through the outbox, as the scheduler
    and the outbox dispatcher do; return the prompt `user` received."""
    settings, rt = bot.rt.settings, bot.rt
    async with rt.sessions() as s:
        session = await s.get(LearningSession, session_id)
    assert session is not None and rt.clock.now() >= session.ends_at
    await plan_due_prompts(rt.sessions, NudgeConfig.from_config(rt.deps.config, ["telegram"]),
                           now=rt.clock.now(), agency_tz=settings.tz,
                           close=settings.attendance_close)
    channel = rt.channels["telegram"]
    assert isinstance(channel, TelegramChannel) and channel.bot is not None
    outbox = OutboxWorker(
        rt.sessions, rt.clock, [TelegramSender(channel.bot)],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=WorkerConfig(poll_interval=0.05, maintenance_interval=0.1),
        personalise=rt.personalise,
    )
    await outbox.run_until_idle(limit=10)
    return await bot.tg.next_message(user)


async def _press(bot: TelegramBot, user: int, message: SentCall, data: str | None = None,
                 ) -> SentCall:
    before = len(bot.tg.callback_answers)
    if data is None:
        bot.tg.press(user, message, button=HADIR)
    else:
        bot.tg.press(user, message, data, strict=False)
    await bot.tg.wait_until(lambda: len(bot.tg.callback_answers) > before)
    return bot.tg.callback_answers[-1]


async def test_prompt_press_double_press_and_stale_button(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    sid = await add_session(bot.rt.sessions, code="E2E-1", start=(9, 0), title="Arsip Digital",
                            recording_url="https://youtu.be/rekaman1", evaluation="tidak")
    pid = await add_person(bot.rt.sessions, str(SITI), preferences=QUIET, nip="198507142010012003")
    bot.rt.clock.set(wib(MONDAY, 11, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, SITI, sid)
    assert "Apakah Bapak/Ibu mengikuti Arsip Digital?" in (prompt.text or "")
    assert prompt.button_texts == [HADIR, "📼 Rekaman"]
    assert prompt.inline_keyboard[1][0]["url"] == "https://youtu.be/rekaman1"
    sent_before = len(tg.messages_to(SITI))
    answer = await _press(bot, SITI, prompt)
    assert answer.ok and answer.params["text"].startswith("✅ Kehadiran tercatat (11.00 WIB)")
    assert await attendance_rows(bot.rt.sessions) == [
        (pid, sid, wib(MONDAY, 11, 0), "telegram", "self")]
    bot.rt.clock.set(wib(MONDAY, 11, 3))  # type: ignore[attr-defined]
    again = await _press(bot, SITI, prompt)
    assert "Sudah tercatat pada 23/11/2026 11.00 WIB" in again.params["text"]
    bot.rt.clock.set(wib(MONDAY + timedelta(days=1), 9, 0))  # type: ignore[attr-defined]
    stale = await _press(bot, SITI, prompt)
    assert "Sudah tercatat pada 23/11/2026 11.00 WIB" in stale.params["text"]
    assert len(await attendance_rows(bot.rt.sessions)) == 1
    assert len(tg.messages_to(SITI)) == sent_before  # toasts only: no message per press
    assert not tg.calls_of("editMessageText")


async def test_forged_and_foreign_callbacks_record_nothing(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    sid = await add_session(bot.rt.sessions, code="E2E-2", start=(9, 0), hours=1)
    await add_person(bot.rt.sessions, str(SITI), preferences=QUIET, nip="198507142010012003")
    await add_person(bot.rt.sessions, str(BUDI), preferences=QUIET, nip="199001012015022001")
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, SITI, sid)
    signed_for_siti = prompt.inline_keyboard[0][0]["callback_data"]
    # Budi presses Siti's button: in her chat (a modified client), or forwarded to his own.
    foreign = await _press(bot, BUDI, prompt, signed_for_siti)
    assert "chat pribadi" in foreign.params["text"]
    assert prompt.message is not None
    forwarded = {**prompt.message, "chat": {"id": BUDI, "type": "private", "first_name": "B"}}
    foreign = await _press(bot, BUDI, forwarded, signed_for_siti)  # type: ignore[arg-type]
    assert "tidak berlaku" in foreign.params["text"]
    for data in (f"att:{sid}", f"xxxxxxxx.att:{sid}", signed_for_siti[:-1] + "9"):
        forged = await _press(bot, SITI, prompt, data)
        assert "tidak berlaku" in forged.params["text"]
    assert await attendance_rows(bot.rt.sessions) == []


async def test_wrong_and_right_codes(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    sid = await add_session(bot.rt.sessions, code="E2E-3", start=(9, 0), hours=1,
                            attendance_code="KOPI",
                            programme="asn-belajar", jp=3)
    await add_person(bot.rt.sessions, str(SITI), preferences=QUIET, nip="198507142010012003")
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, SITI, sid)
    asked = await _press(bot, SITI, prompt)
    assert asked.params["show_alert"] is True and "kode presensi" in asked.params["text"]
    wrong = await bot.say(SITI, "TEH")
    assert "Kode presensi salah" in (wrong.text or "")
    assert await attendance_rows(bot.rt.sessions) == []
    right = await bot.say(SITI, "kopi")
    assert "Kehadiran tercatat" in (right.text or "") and "+3 JP" in (right.text or "")
    again = await bot.say(SITI, "/hadir KOPI")
    assert "sudah tercatat" in (again.text or "")
    assert len(await attendance_rows(bot.rt.sessions)) == 1
    assert not tg.calls_of("editMessageText")  # the prompt stays as it was


async def test_no_nip_then_nip_added(telegram_bot: TelegramBot) -> None:
    bot = telegram_bot
    sid = await add_session(bot.rt.sessions, code="E2E-4", start=(9, 0), hours=1, jp=2)
    await add_person(bot.rt.sessions, str(RUDI), preferences=QUIET, nip=None, name="Rudi Hartono")
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    prompt = await _prompt(bot, RUDI, sid)
    answer = await _press(bot, RUDI, prompt)
    assert answer.params["show_alert"] is True and "NIP Bapak/Ibu belum diisi" in \
        answer.params["text"]
    assert len(await attendance_rows(bot.rt.sessions)) == 1
    rekap = await bot.say(RUDI, "📊 Rekap JP")  # the main keyboard button
    assert "Total: 0 JP" in (rekap.text or "") and "belum dihitung" in (rekap.text or "")
    profile = await bot.say(RUDI, "/profil")
    await bot.press(RUDI, profile, "✏️ Ubah NIP")
    await bot.tg.next_message(RUDI)  # "Silakan ketik NIP"
    updated = await bot.say(RUDI, "198507142010011003")
    assert "Data diperbarui" in (updated.text or "")
    rekap = await bot.say(RUDI, "/rekap")
    assert "Total: 2 JP" in (rekap.text or "") and "belum dihitung" not in (rekap.text or "")


async def test_non_admin_gets_no_export_and_no_statistics(telegram_bot: TelegramBot) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    await add_person(bot.rt.sessions, str(SITI), preferences=QUIET, nip="198507142010012003")
    for command in ("/ekspor", "/ekspor csv", "/statistik", "/jp"):
        reply = await bot.say(SITI, command)
        assert reply.text == "Maaf, perintah ini hanya untuk admin BPSDM."
    assert not tg.calls_of("sendDocument") and not tg.calls_of("sendPhoto")
    commands = {c["command"] for c in tg.commands()}
    assert {"hadir", "rekap"} <= commands and not {"ekspor", "statistik"} & commands


async def test_admin_chart_arrives_as_a_photo_and_export_as_a_document(
    telegram_bot: TelegramBot,
) -> None:
    bot, tg = telegram_bot, telegram_bot.tg
    sid = await add_session(bot.rt.sessions, code="E2E-5", start=(9, 0), hours=1,
                            title="Forum Uji")
    await add_person(bot.rt.sessions, str(SITI), preferences=QUIET, nip="198507142010012003")
    await add_person(bot.rt.sessions, str(BUDI), preferences=QUIET, nip=None, name="Budi")
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    for user in (SITI, BUDI):
        await _press(bot, user, await _prompt(bot, user, sid))
    admin = int(OWNER)
    photo = await bot.say(admin, "/statistik")
    assert photo.method == "sendPhoto"
    assert photo.ok and photo.files["photo"].content.startswith(b"\x89PNG")
    assert "Total: <b>2</b> kehadiran" in (photo.text or "")
    menu = await bot.say(admin, "/ekspor")
    answer = await bot.press(admin, menu, menu.button_texts[0])  # this month, XLSX
    assert answer.params["text"] == "Menyiapkan ekspor…"
    doc = await tg.wait_for("sendDocument", timeout=20)
    upload = doc.files["document"]
    assert upload.filename == "presensi_2026-11-01_2026-11-30.xlsx"
    rows = list(load_workbook(io.BytesIO(upload.content))["Forum ASN Berbagi Ilmu"]
                .iter_rows(values_only=True))
    assert [(r[0], r[1], r[6], r[11]) for r in rows[1:]] == [
        ("198507142010012003", "Siti Aminah", "Forum Uji", 2),
        (None, "Budi", "Forum Uji", 0),
    ]
    csv_doc_at = len(tg.sent)
    tg.user_message(admin, "/ekspor csv")
    doc = await tg.wait_for("sendDocument", timeout=20, since=csv_doc_at)
    text = doc.files["document"].content.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert parsed[1][:2] == ['="198507142010012003"', "Siti Aminah"] and len(parsed) == 3


async def test_a_crowd_of_presses_is_recorded_once_each_and_all_answered(
    telegram_bot: TelegramBot,
) -> None:
    """120 people press at once (the benchmark does 10,000): one row each, one answer each."""
    bot, tg = telegram_bot, telegram_bot.tg
    sid = await add_session(bot.rt.sessions, code="E2E-CROWD", start=(9, 0), hours=1)
    bot.rt.clock.set(wib(MONDAY, 10, 0))  # type: ignore[attr-defined]
    users = list(range(7000, 7120))
    pids = [await add_person(bot.rt.sessions, str(u), preferences=QUIET, nip=None) for u in users]
    await _prompt(bot, users[0], sid)  # the outbox sends the prompt to all of them
    prompts = {u: await tg.next_message(u) for u in users[1:]}
    prompts[users[0]] = tg.messages_to(users[0])[-1]
    before = len(tg.callback_answers)
    for user in users:  # all queued before the bot fetches any
        tg.press(user, prompts[user], button=HADIR)
    await tg.wait_until(lambda: len(tg.callback_answers) >= before + len(users), timeout=60)
    answers = tg.callback_answers[before:]
    assert len({a.params["callback_query_id"] for a in answers}) == len(users) == len(answers)
    assert all(a.ok and "Kehadiran tercatat" in a.params["text"] for a in answers)
    rows = await attendance_rows(bot.rt.sessions)
    assert sorted(r[0] for r in rows) == sorted(pids) and {r[1] for r in rows} == {sid}
    batcher = bot.rt.dispatcher._batchers["att"]
    assert batcher.batches < len(users)  # they went in batches

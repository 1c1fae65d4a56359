"""Flow hygiene and the polish found on the way: steps that end, weekends, wording."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.runtime import Runtime
from core.clock import FixedClock
from core.types import Incoming
from db.models import Question
from schedules.calendar_import import import_calendar
from tests.auxil.chat import Chat, buttons, text
from tests.handlers.attendance_helpers import MONDAY, add_session, wib

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "jadwal-contoh.csv"
SATURDAY = MONDAY + timedelta(days=5)


async def _questions(rt: Runtime) -> int:
    async with rt.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Question)) or 0)


async def test_another_command_ends_the_tanya_step(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    assert "Silakan ketik pertanyaan" in text(await chat.say("/tanya"))
    assert "Forum ASN Berbagi Ilmu" in text(await chat.say("/menu"))
    casual = text(await chat.say("link zoom hari ini"))  # found: filed as a question
    assert "Zoom: https://zoom.us/j/95984715105" in casual and await _questions(runtime) == 0
    await chat.say("/tanya")
    # A keyboard button is a command too: it ends the step.
    assert "Forum ASN Berbagi Ilmu" in text(await chat.say("📅 Menu hari ini"))
    assert text(await chat.say("ok")) == "Baik, terima kasih. 🙏"
    assert await _questions(runtime) == 0


async def test_registration_resumes_after_a_command(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001", "whatsapp")
    await chat.say("mulai")
    await chat.press("✅ Saya setuju")
    assert "NIP" in text(await chat.say("Budi Santoso"))
    assert "Forum ASN Berbagi Ilmu" in text(await chat.say("menu"))
    # Still the NIP step: the next line is the NIP, not a question.
    assert "instansi" in text(await chat.say("198507142010011003"))


async def test_jadwal_on_a_weekend_shows_next_week_and_says_so(
    runtime: Runtime, clock: FixedClock
) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    clock.set(wib(SATURDAY, 9, 0))
    out = text(await chat.say("/jadwal"))
    assert out.startswith("Hari ini akhir pekan, jadi yang ditampilkan jadwal minggu depan.")
    assert "Jadwal ASN Dahar Ngopi minggu depan" in out and "Senin, 30 November 2026" in out
    clock.set(wib(MONDAY, 8, 0))
    this_week = text(await chat.say("/jadwal"))
    assert "Senin, 23 November 2026" in this_week and "jadwal minggu depan" in this_week
    nxt = text(await chat.say("/jadwal minggu depan"))
    assert "minggu depan" in nxt and "Senin, 30 November 2026" in nxt
    assert "Senin, 23 November 2026" not in nxt


async def test_a_weekend_session_shows_in_menu_and_jadwal(
    runtime: Runtime, clock: FixedClock
) -> None:
    await add_session(runtime.sessions, code="SAT1", day=SATURDAY, start=(6, 0),
                      programme="asn-sehat-bugar", title="Jalan Sehat Hari Guru")
    chat = Chat(runtime, "5001")
    await chat.register()
    week = text(await chat.say("/jadwal"))
    assert "Sabtu, 28 November 2026" in week and "Jalan Sehat Hari Guru" in week
    clock.set(wib(SATURDAY, 5, 0))
    menu = text(await chat.say("/menu"))  # found: "Akhir pekan — tidak ada sesi"
    assert "Akhir pekan — tidak ada sesi" not in menu
    assert "Sesi akhir pekan" in menu and "Jalan Sehat Hari Guru" in menu
    assert "💪 ASN Sehat dan Bugar" in menu


async def test_tomorrows_menu_and_a_days_menu(runtime: Runtime) -> None:
    chat = Chat(runtime, "6281234567890", "whatsapp")
    await chat.register()
    assert "Selasa, 24 November 2026" in text(await chat.say("menu besok"))
    friday = text(await chat.say("menu hari jumat apa"))
    assert "Jumat, 27 November 2026" in friday and "ASN Sehat dan Bugar" in friday
    weekly = text(await chat.say("menu pembelajaran seminggu"))  # every week: the FAQ
    assert "Apakah jawaban ini membantu?" in weekly


async def test_pengingat_buttons_say_what_they_do(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    screen = await chat.say("/pengingat")
    assert "🔕 Bisukan Rabu" in buttons(screen)
    muted = await chat.press("🔕 Bisukan Rabu")
    assert "🔔 Aktifkan Rabu" in buttons(muted) and "🔕 Bisukan Senin" in buttons(muted)


async def test_rekap_lists_the_next_few_sessions(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    out = text(await chat.say("/rekap"))
    coming = out.split("Sesi berikutnya</b>", 1)[1]
    assert coming.count("\n• ") == 5 and "Jadwal lengkap: /jadwal." in coming


async def test_a_typed_code_is_not_pressed(runtime: Runtime, clock: FixedClock) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    clock.set(wib(MONDAY, 13, 30))
    assert "kode presensi" in text(await chat.say("/hadir"))
    assert "Kehadiran tercatat" in text(await chat.say("hadir FBI5QQE"))  # at the prompt
    again = text(await chat.say("/hadir FBI5QQE"))
    assert "Tidak perlu mengirim lagi" in again and "menekan" not in again


async def test_wording_bapak_ibu_and_the_link_command(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    help_text = text(await chat.say("/bantuan"))
    assert "/hapusdata — Hapus data pribadi Bapak/Ibu" in help_text and "Anda" not in help_text
    wrong = text(await chat.say("/hubungkan 12ab"))
    assert "<code>/hubungkan 123456</code>" in wrong  # Telegram: with its slash
    wa = Chat(runtime, "6281234567890", "whatsapp")
    assert "<code>hubungkan 123456</code>" in text(await wa.say("hubungkan 12345"))


async def test_the_example_calendar_imports_as_the_readme_says(runtime: Runtime) -> None:
    data = EXAMPLE.read_bytes()
    now = runtime.clock.now()
    async with runtime.sessions() as s, s.begin():  # on top of the sample calendar
        first = await import_calendar(s, data, now=now, filename=EXAMPLE.name)
    assert first.added == 1 and "Kamis, 4 Februari 2027" in first.summary()
    async with runtime.sessions() as s, s.begin():
        again = await import_calendar(s, data, now=now, filename=EXAMPLE.name)
    assert "tidak ada perubahan" in again.summary()


async def test_a_command_that_sets_the_step_again_keeps_it(
    runtime: Runtime, clock: FixedClock
) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    clock.set(wib(MONDAY, 13, 30))
    assert "kode presensi" in text(await chat.say("/hadir"))
    assert "kode presensi" in text(await chat.say("/hadir"))  # same instant, same step
    assert "Kehadiran tercatat" in text(await chat.say("FBI5QQE"))


async def test_a_voice_note_or_sticker_gets_a_note_that_the_bot_reads_text(
    runtime: Runtime,
) -> None:
    replies = await runtime.dispatcher.handle(Incoming("telegram", "5001", "5001"))
    assert "hanya dapat membaca pesan teks" in text(replies)

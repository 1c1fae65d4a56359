"""The intent layer: how messages are read, and what the calendar and the record answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from core.clock import FixedClock
from db.models import FaqLookup
from handlers.faq_normalize import normalize
from handlers.intent_dates import read_when
from handlers.intent_parse import parse_intent
from tests.auxil.chat import Chat, buttons, text
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib

TUESDAY = date(2026, 11, 24)


def when_of(words: str, today: date = TUESDAY) -> tuple[date | None, date | None]:
    found, _used = read_when(normalize(words).split(), today)
    return (found.start, found.end) if found else (None, None)


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("hari ini", TUESDAY, TUESDAY),
        ("besok", date(2026, 11, 25), date(2026, 11, 25)),
        ("lusa", date(2026, 11, 26), date(2026, 11, 26)),
        ("kemarin", date(2026, 11, 23), date(2026, 11, 23)),
        ("kamis", date(2026, 11, 26), date(2026, 11, 26)),
        ("kamis depan", date(2026, 12, 3), date(2026, 12, 3)),
        ("kamis kemarin", date(2026, 11, 19), date(2026, 11, 19)),
        ("kmrn kamis", date(2026, 11, 19), date(2026, 11, 19)),
        ("hari minggu", date(2026, 11, 29), date(2026, 11, 29)),
        ("minggu ini", date(2026, 11, 23), date(2026, 11, 29)),
        ("minggu depan", date(2026, 11, 30), date(2026, 12, 6)),
        ("pekan lalu", date(2026, 11, 16), date(2026, 11, 22)),
        ("bulan depan", date(2026, 12, 1), date(2026, 12, 31)),
        ("tgl 26", date(2026, 11, 26), date(2026, 11, 26)),
        ("tanggal 3 des", date(2026, 12, 3), date(2026, 12, 3)),
        ("desember", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_days_and_periods(said: str, first: date, last: date) -> None:
    assert when_of(said) == (first, last)


def test_a_slashed_date_is_a_day_and_a_bare_number_is_not() -> None:
    intent = parse_intent("link zoom 3/12", TUESDAY)
    assert intent is not None and intent.when is not None
    assert intent.when.start == date(2026, 12, 3)
    assert when_of("1 jp brp menit") == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "cara join zoom nya gmn",  # how to, not which link
        "asn belajar itu apa sih",  # the programme in general
        "asn belajar dihitung berapa jp",
        "senin smp jumat ada apa aja",  # the weekly menu
        "kode absen nya apa",  # codes in general: the FAQ explains them
        "nonton rekaman dihitung hadir ga",
        "menu pagi dikirim jam berapa",
        "absen sampe jam brp",
        "jadwal pakai wib atau wita",
        "cuaca besok gimana",
        "film bioskop minggu ini",
        "jadwal liga inggris",
        "tgl merah ada webinar ga",
        "bisa ngisi materi di forum senin?",
        "nip saya ditolak terus",
        "hapus data sy",
        "data sy aman gak",
    ],
)
def test_questions_for_the_faq_are_no_intents(text: str) -> None:
    assert parse_intent(text, TUESDAY) is None


def test_what_is_asked() -> None:
    link = parse_intent("minta link zoom webinar asn belajar kamis", TUESDAY)
    assert link is not None and (link.kind, link.field, link.programme) == \
        ("session", "zoom", "asn-belajar")
    who = parse_intent("siapa yg bawain materi asn belajar 3 desember", TUESDAY)
    assert who is not None and who.field == "speaker"
    replay = parse_intent("mau nonton ulang senam jumat kemarin", TUESDAY)
    assert replay is not None and replay.field == "recording" and replay.when is not None
    assert replay.when.start == date(2026, 11, 20)
    yoga = parse_intent("jam brp yoganya", TUESDAY)
    assert yoga is not None and yoga.hints == ("yoga",)
    mine = parse_intent("jpku kurang brp lg", TUESDAY)
    assert mine is not None and (mine.kind, mine.field) == ("personal", "jp")
    done = parse_intent("udah absen blm ya kemarin", TUESDAY)
    assert done is not None and (done.kind, done.field) == ("personal", "attendance")
    later = parse_intent("sertifikat saya", TUESDAY)
    assert later is not None and later.field == "certificates"


async def test_no_such_session_says_so_and_shows_the_nearest(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    out = text(await chat.say("senam besok jam berapa"))  # Tuesday: no senam
    assert "Tidak ada sesi ASN Sehat dan Bugar besok (Selasa, 24 November 2026)." in out
    assert "terdekat" in out and "Jumat, 27 November 2026" in out
    weekend = text(await chat.say("webinar hari minggu ada?"))
    assert "Minggu, 29 November 2026 (akhir pekan)" in weekend
    assert "Senin, 30 November 2026" in weekend


async def test_a_cancelled_session_is_said_and_the_next_one_shown(
    runtime: Runtime, clock: FixedClock
) -> None:
    await add_session(runtime.sessions, code="X1", day=MONDAY + timedelta(days=12),
                      programme="asn-sehat-bugar", title="Jalan Sehat Batal", status="batal",
                      start=(6, 0))
    await add_session(runtime.sessions, code="X2", day=MONDAY + timedelta(days=10),
                      programme="asn-belajar", title="Kelas Sore Batal", status="batal",
                      start=(15, 0))
    chat = Chat(runtime, "5001")
    await chat.register()
    alone = text(await chat.say("jalan sehat sabtu 5 desember jam brp"))
    assert alone.startswith(
        "Tidak ada sesi ASN Sehat dan Bugar pada Sabtu, 5 Desember 2026: sesi <b>Jalan Sehat "
        "Batal</b> (Sabtu, 5 Desember 2026) <b>dibatalkan</b>.")
    nearest = alone.split("terdekat", 1)[1]
    assert "💪 ASN Sehat dan Bugar" in nearest and "Desember 2026" in nearest
    beside = text(await chat.say("webinar tgl 3 desember jam brp"))  # one of two is off
    assert "Manajemen Risiko" in beside and "❌ <b>Dibatalkan</b>\n<b>Kelas Sore Batal" in beside


async def test_the_attendance_code_is_never_revealed(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    out = text(await chat.say("kode presensi forum hari ini apa min"))
    assert "tidak dibagikan lewat chat" in out and "<code>/hadir KODE</code>" in out
    assert "FBI5QQE" not in out  # the sample calendar's code for Monday's forum
    assert "Digitalisasi Arsip Kepegawaian" in out


async def test_an_open_attendance_window_offers_the_hadir_button(
    runtime: Runtime, clock: FixedClock
) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    clock.set(wib(MONDAY, 13, 30))
    out = await chat.say("link zoom forum hari ini")
    assert "Zoom: https://zoom.us/j/95984715105" in text(out)
    assert buttons(out) == ["✅ Hadir", "🗓 Jadwal"]
    asked = await chat.press("✅ Hadir")  # runs /hadir, as if typed
    assert "kode presensi" in text(asked)
    recorded = await chat.say("FBI5QQE")
    assert "Kehadiran tercatat" in text(recorded)
    again = text(await chat.say("udah absen blm ya"))
    assert "sudah tercatat" in again and "2 JP dari target 20 JP" in again


async def test_without_a_nip_the_jp_is_zero_and_the_reason_said(
    runtime: Runtime, clock: FixedClock
) -> None:
    pid = await add_person(runtime.sessions, "5002", nip=None)
    assert pid
    chat = Chat(runtime, "5002")
    clock.set(wib(MONDAY, 13, 30))
    assert "Kehadiran tercatat" in text(await chat.say("/hadir FBI5QQE"))
    out = text(await chat.say("jp saya berapa"))
    assert "0 JP dari target 20 JP" in out
    assert "NIP belum diisi: 2 JP dari kehadiran Bapak/Ibu belum dihitung" in out


async def test_personal_questions_need_a_registration(runtime: Runtime) -> None:
    out = text(await Chat(runtime, "5003").say("jp saya berapa"))
    assert "setelah Bapak/Ibu mendaftar" in out and "/mulai" in out


async def test_answers_from_data_are_logged_beside_the_faq(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    await chat.say("link zoom hari ini")
    await chat.say("jp saya berapa")
    async with runtime.sessions() as s:
        rows = list(await s.scalars(select(FaqLookup).order_by(FaqLookup.id)))
    assert [(r.kind, r.candidates) for r in rows] == [
        ("intent", "session:zoom"), ("intent", "personal:jp"),
    ]


async def test_words_that_name_no_session_go_to_the_faq(runtime: Runtime) -> None:
    chat = Chat(runtime, "5001")
    await chat.register()
    out = text(await chat.say("opd kami punya inovasi mau dibagikan di forum"))
    assert "Apakah jawaban ini membantu?" in out  # no forum session on that: the FAQ
    day = text(await chat.say("kajian islam hari rabu"))  # a day named: that day's kajian
    assert "Adab Bermedia Sosial bagi Aparatur Negara" in day
    assert "Kesalehan sosial dan wawasan spiritual" in day  # what the programme is
    titled = text(await chat.say("link zoom webinar etika pelayanan"))
    assert "Etika Pelayanan Publik dan Wawasan Kebangsaan" in titled

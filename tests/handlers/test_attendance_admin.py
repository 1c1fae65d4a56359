"""Attendance, the admin side: refusals, /statistik, /ekspor, /jp, /koreksi, /audit, erasure."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.channels import Channels
from core.clock import FixedClock
from core.types import Reply
from db.attendance import recent_audit
from db.erasure import erase_person
from db.models import Person
from db.people import add_admin
from handlers import attendance_admin
from handlers.attendance_admin import ExportPick, parse_period
from tests.handlers.attendance_helpers import (
    MONDAY,
    OWNER,
    Chat,
    add_person,
    add_session,
    attendance_rows,
    text_of,
    wib,
)

NIPS = ["198507142010012003", "199001012015022001", "197803252005011002"]


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    """The core without the sample calendar."""
    runtime = await build_runtime(make_settings({"SAMPLE_CALENDAR": "false"}), clock,
                                  migrate=False)
    yield runtime
    await runtime.close()


async def _attend(rt: Runtime, clock: FixedClock, chat: Chat, sid: int, at: datetime) -> None:
    clock.set(at)
    replies = await chat.press(await chat.button_for(sid))
    assert "tercatat" in text_of(replies)


async def _world(rt: Runtime, clock: FixedClock) -> dict[str, int]:
    """Three sessions over two weeks and three people (one without a NIP) who attended."""
    last_week = MONDAY - timedelta(days=7)
    ids = {
        "old": await add_session(rt.sessions, code="FBI-OLD", day=last_week, jp=2,
                                 title="Forum Minggu Lalu"),
        "mon": await add_session(rt.sessions, code="FBI-NOW", day=MONDAY, jp=1.5,
                                 title="Forum; \"Kutip\", Koma"),
        "thu": await add_session(rt.sessions, code="BLJ-THU", day=MONDAY - timedelta(days=4),
                                 programme="asn-belajar", jp=3, title="Belajar Kamis"),
    }
    people = [
        await add_person(rt.sessions, "701", nip=NIPS[0], name="Siti Aminah",
                         instansi="Dinas Pendidikan", region="3515"),
        await add_person(rt.sessions, "702", nip=NIPS[1], name="Budi Santoso",
                         instansi="BKPSDM Kab. Malang", region="3507"),
        await add_person(rt.sessions, "703", nip=None, name="Tanpa NIP",
                         instansi="Dinas Pendidikan", region="3515"),
    ]
    ids.update({f"p{i}": p for i, p in enumerate(people)})
    for user in ("701", "702", "703"):
        await _attend(rt, clock, Chat(rt, user), ids["old"], wib(last_week, 10, 0))
        await _attend(rt, clock, Chat(rt, user), ids["mon"], wib(MONDAY, 10, 0))
    await _attend(rt, clock, Chat(rt, "701"), ids["thu"], wib(MONDAY - timedelta(days=4), 10))
    clock.set(wib(MONDAY, 16, 0))
    return ids


ADMIN_COMMANDS = ["/statistik", "/statistik 1", "/ekspor", "/ekspor csv", "/jp 2026",
                  "/koreksi hapus 198507142010012003 FBI-NOW salah catat", "/audit"]


async def test_non_admins_are_refused_and_nothing_is_revealed(
    rt: Runtime, clock: FixedClock
) -> None:
    await _world(rt, clock)
    siti = Chat(rt, "701")
    for command in ADMIN_COMMANDS:
        replies = await siti.say(command)
        assert [r.text for r in replies] == ["Maaf, perintah ini hanya untuk admin BPSDM."]
        assert not any(r.document or r.photo or r.buttons for r in replies)
    forged = rt.deps.signer.sign(str(await siti.person_id()), ExportPick("m0", "x").pack())
    replies = await siti.press(forged)
    assert replies[0].notice == "Maaf, perintah ini hanya untuk admin BPSDM."
    assert not replies[0].document
    assert len(await attendance_rows(rt.sessions)) == 7  # the correction did nothing
    help_text = text_of(await siti.say("/bantuan"))
    assert "/ekspor" not in help_text and "/statistik" not in help_text


async def test_audit_is_for_owners_only(rt: Runtime, clock: FixedClock) -> None:
    await _world(rt, clock)
    async with rt.sessions() as s, s.begin():
        await add_admin(s, "telegram", "8001", OWNER, clock.now())
    staff = Chat(rt, "8001")
    assert "hanya dapat dibuka oleh pemilik" in text_of(await staff.say("/audit"))
    assert "Log audit masih kosong" in text_of(await Chat(rt, OWNER).say("/audit"))


async def test_statistik_offers_buttons_before_anyone_attended(
    rt: Runtime, clock: FixedClock
) -> None:
    await add_session(rt.sessions, code="Q1", day=MONDAY, title="Forum Sepi")
    (chart,) = await Chat(rt, OWNER).say("/statistik")
    labels = [b.label for row in chart.buttons for b in row]
    assert labels == ["23/11 Forum Sepi · 0"]
    assert "pilih tombol di bawah" in chart.text


async def test_statistik_sends_a_chart_and_a_summary(rt: Runtime, clock: FixedClock) -> None:
    ids = await _world(rt, clock)
    admin = Chat(rt, OWNER)
    replies = await admin.say("/statistik")
    assert len(replies) == 1
    chart = replies[0]
    assert chart.photo is not None and chart.photo.content is not None
    png = chart.photo.content
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert "Total: <b>7</b> kehadiran di 3 sesi" in chart.text
    assert "• Forum ASN Berbagi Ilmu: 6 (2 sesi)" in chart.text
    assert "• ASN Belajar: 1 (1 sesi)" in chart.text
    labels = [b.label for row in chart.buttons for b in row]
    assert labels[0].startswith("23/11 Forum;") and labels[0].endswith("· 3")
    assert "pilih tombol di bawah" in chart.text  # and the buttons are there
    one = await admin.press(chart.buttons[0][0].data)
    assert one[0].photo is not None and one[0].photo.content is not None
    assert "Kehadiran: <b>3</b> (ber-NIP, terhitung JP: 2)" in one[0].text
    assert "• Kab. Sidoarjo: 2" in one[0].text and "• Kab. Malang: 1" in one[0].text
    assert "• Dinas Pendidikan: 2" in one[0].text and "telegram 3" in one[0].text
    by_code = await admin.say("/statistik BLJ-THU")
    assert "Kehadiran: <b>1</b>" in by_code[0].text
    by_id = await admin.say(f"/statistik {ids['thu']}")
    assert by_id[0].text == by_code[0].text
    assert "tidak ditemukan" in text_of(await admin.say("/statistik TIDAK-ADA"))


def _document(replies: list[Reply]) -> tuple[str, bytes]:
    docs = [r.document for r in replies if r.document is not None]
    assert len(docs) == 1 and docs[0].content is not None
    return docs[0].filename, docs[0].content


async def test_ekspor_xlsx_has_a_sheet_per_programme_and_real_dates(
    rt: Runtime, clock: FixedClock
) -> None:
    await _world(rt, clock)
    admin = Chat(rt, OWNER)
    menu = await admin.say("/ekspor")
    assert "Bulan ini (Nov 2026) · XLSX" in next(b.label for row in menu[0].buttons for b in row)
    replies = await admin.press(menu[0].buttons[0][0].data)  # this month, XLSX
    assert replies[0].notice == "Menyiapkan ekspor…"
    name, data = _document(replies)
    assert name == "presensi_2026-11-01_2026-11-30.xlsx"
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Ringkasan", "Forum ASN Berbagi Ilmu", "ASN Belajar"]
    forum = list(wb["Forum ASN Berbagi Ilmu"].iter_rows(values_only=True))
    assert forum[0][:4] == ("NIP", "Nama", "Instansi/OPD", "Kabupaten/Kota")
    assert len(forum) == 1 + 6
    first = forum[1]
    assert first[0] == "198507142010012003" and first[3] == "Kab. Sidoarjo"
    # Excel has no time zones: local WIB wall-clock values.
    assert first[4] == datetime(2026, 11, 16)  # noqa: DTZ001
    assert first[8] == datetime(2026, 11, 16, 10, 0)  # noqa: DTZ001
    assert wb["Forum ASN Berbagi Ilmu"]["E2"].number_format == "dd/mm/yyyy"
    assert wb["Forum ASN Berbagi Ilmu"]["I2"].number_format == "dd/mm/yyyy hh:mm"
    no_nip = [r for r in forum[1:] if r[1] == "Tanpa NIP"]
    assert len(no_nip) == 2 and all(r[0] is None and r[11] == 0 for r in no_nip)
    assert [r[11] for r in forum[1:] if r[6] == 'Forum; "Kutip", Koma'] == [1.5, 1.5, 0]
    summary = list(wb["Ringkasan"].iter_rows(values_only=True))
    assert summary[1] == ("Forum ASN Berbagi Ilmu", 2, 6, 4, 7.0)
    assert summary[3] == ("Total", 3, 7, 5, 10.0)


async def test_ekspor_csv_opens_in_indonesian_excel(rt: Runtime, clock: FixedClock) -> None:
    await _world(rt, clock)
    name, data = _document(await Chat(rt, OWNER).say("/ekspor csv 2026-11"))
    assert name.endswith(".csv") and data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "NIP" and len(rows) == 1 + 7
    by_date = [r[4] for r in rows[1:]]
    assert by_date == sorted(by_date)  # one table, by date
    quoted = [r for r in rows[1:] if r[6] == 'Forum; "Kutip", Koma']
    assert len(quoted) == 3 and {r[11] for r in quoted} == {"1,5", "0"}
    assert quoted[0][0] == '="198507142010012003"'  # Excel keeps all 18 digits as text
    assert quoted[0][8] == "2026-11-23 10:00:00"


async def test_ekspor_of_another_period_and_bad_periods(rt: Runtime, clock: FixedClock) -> None:
    await _world(rt, clock)
    admin = Chat(rt, OWNER)
    _, data = _document(await admin.say("/ekspor xlsx 2026-11-20 2026-11-30"))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Ringkasan", "Forum ASN Berbagi Ilmu"]
    assert wb["Forum ASN Berbagi Ilmu"].max_row == 1 + 3
    _, data = _document(await admin.say("/ekspor 2026-10"))
    empty = load_workbook(io.BytesIO(data))
    assert list(empty["Ringkasan"].iter_rows(values_only=True))[1][0] == "Total"
    assert "Periode tidak dikenal" in text_of(await admin.say("/ekspor kemarin sore"))


def test_parse_period() -> None:
    today = MONDAY
    assert parse_period("", today) == (MONDAY.replace(day=1), MONDAY.replace(day=30))
    assert parse_period("bulan lalu", today) == (MONDAY.replace(month=10, day=1),
                                                 MONDAY.replace(month=10, day=31))
    jan = MONDAY.replace(month=1, day=1)
    assert parse_period("bulan lalu", jan)[0] == jan.replace(year=2025, month=12)  # type: ignore[index]
    assert parse_period("2026", today) == (jan, MONDAY.replace(month=12, day=31))
    assert parse_period("2026-13", today) is None
    assert parse_period("2026-11-30 2026-11-01", today) is None


async def test_large_exports_are_zipped(
    rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _world(rt, clock)
    monkeypatch.setattr(attendance_admin, "ZIP_OVER", 100)
    name, data = _document(await Chat(rt, OWNER).say("/ekspor csv"))
    assert name == "presensi_2026-11-01_2026-11-30.csv.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        inner = zf.read("presensi_2026-11-01_2026-11-30.csv")
    assert inner.count(b"\r\n") == 1 + 7
    small = replace(rt.deps.channels["telegram"], upload_limit=100)
    others = [c for n, c in rt.deps.channels.items() if n != "telegram"]
    monkeypatch.setattr(rt.deps, "channels", Channels([small, *others]))
    too_big = await Chat(rt, OWNER).say("/ekspor csv")
    assert "terlalu besar" in text_of(too_big) and not any(r.document for r in too_big)


async def test_jp_summary_counts_only_people_with_a_nip(rt: Runtime, clock: FixedClock) -> None:
    await _world(rt, clock)
    name, data = _document(await Chat(rt, OWNER).say("/jp 2026 csv"))
    assert name == "jp_2026.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["NIP", "Nama", "Instansi/OPD", "Kabupaten/Kota", "Total JP", "Jumlah Sesi"],
        ['="198507142010012003"', "Siti Aminah", "Dinas Pendidikan", "Kab. Sidoarjo", "6,5", "3"],
        ['="199001012015022001"', "Budi Santoso", "BKPSDM Kab. Malang", "Kab. Malang", "3,5",
         "2"],
    ]
    _, xlsx = _document(await Chat(rt, OWNER).say("/jp"))
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["Ringkasan", "JP 2026"]
    assert list(wb["JP 2026"].iter_rows(values_only=True))[1][4] == 6.5


async def test_koreksi_adds_and_removes_with_an_audit_trail(
    rt: Runtime, clock: FixedClock
) -> None:
    ids = await _world(rt, clock)
    admin = Chat(rt, OWNER)
    assert "alasan" in text_of(await admin.say(f"/koreksi tambah {NIPS[1]} BLJ-THU"))
    assert "Tidak ada peserta" in text_of(
        await admin.say(f"/koreksi tambah {NIPS[2]} BLJ-THU hadir lewat Zoom"))
    added = text_of(await admin.say(f"/koreksi tambah {NIPS[1]} BLJ-THU hadir lewat Zoom"))
    assert "Presensi ditambahkan" in added and "Budi Santoso" in added
    again = text_of(await admin.say(f"/koreksi tambah {NIPS[1]} {ids['thu']} dobel cek"))
    assert "sudah ada" in again
    removed = text_of(await admin.say(f"/koreksi hapus {NIPS[0]} FBI-NOW bukan peserta"))
    assert "Presensi dihapus" in removed and "semula tercatat 23/11/2026 10.00" in removed
    assert "tidak ada presensi" in text_of(
        await admin.say(f"/koreksi hapus {NIPS[0]} FBI-NOW bukan peserta"))
    rows = await attendance_rows(rt.sessions)
    assert (ids["p1"], ids["thu"]) in [(r[0], r[1]) for r in rows]
    assert (ids["p0"], ids["mon"]) not in [(r[0], r[1]) for r in rows]
    corrected = next(r for r in rows if (r[0], r[1]) == (ids["p1"], ids["thu"]))
    assert corrected[3:] == ("admin", "correction")
    # The person sees the corrected record.
    assert "ASN Belajar</b> — 1 sesi, 3 JP" in text_of(await Chat(rt, "702").say("/rekap"))
    await admin.say("/ekspor csv")
    log = text_of(await admin.say("/audit"))
    lines = [line for line in log.splitlines() if line.startswith("• ")]
    assert len(lines) == 3  # newest first: the export, the removal, the addition
    assert "ekspor presensi" in lines[0] and "(7 baris)" in lines[0]
    # The log names people by id; who that is, is looked up as it is shown.
    assert (f"koreksi: hapus: person:{ids['p0']} (Siti Aminah), sesi {ids['mon']} FBI-NOW: "
            "bukan peserta") in lines[1]
    assert "koreksi: tambah" in lines[2] and "telegram:9001" in lines[2]
    async with rt.sessions() as s:
        details = [e.detail for e in await recent_audit(s, 10)]
    assert not [d for d in details if any(nip in d for nip in NIPS) or "Siti" in d]


async def test_erasure_keeps_the_counts_but_not_the_person(
    rt: Runtime, clock: FixedClock
) -> None:
    ids = await _world(rt, clock)
    async with rt.sessions() as s, s.begin():
        person = await s.get(Person, ids["p0"])
        assert person is not None
        await erase_person(s, person, clock.now())
    assert len(await attendance_rows(rt.sessions)) == 7
    admin = Chat(rt, OWNER)
    chart = await admin.say("/statistik")
    assert "Total: <b>7</b>" in chart[0].text
    _, data = _document(await admin.say("/ekspor csv"))
    text = data.decode("utf-8-sig")
    assert "Siti Aminah" not in text and NIPS[0] not in text
    assert text.count("(data dihapus)") == 3

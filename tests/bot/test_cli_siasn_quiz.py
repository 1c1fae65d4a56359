"""`dahar-ngopi absensi siasn` (SIASN course records: columns and rows read back, audited) and
`dahar-ngopi jadwal import --kuis` (a quiz file keyed by kode_sesi, refused with line numbers)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import _parser
from bot.cli_attendance import run
from bot.cli_calendar import import_cmd
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from core.config import CertificateConfig
from db.attendance import recent_audit, record_attendance
from db.learning import questions_of
from db.models import LearningSession
from handlers.export_files import SIASN_COLUMNS
from schedules.certificates import CertificateSweep
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib

NIP_SITI, NIP_RINA = "198507142010012003", "197805122003122002"


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    """Two sessions with JP and one without; Siti attended all three, Rina one, Budi (no NIP)
    one; Siti's certificates are issued."""
    runtime = await build_runtime(make_settings({"SAMPLE_CALENDAR": "false",
                                                 "PUBLIC_URL": "https://dn.example.id"}),
                                  clock, migrate=False)
    a = await add_session(runtime.sessions, code="A", jp=1.5, title="Arsip")
    b = await add_session(runtime.sessions, code="B", programme="asn-belajar",
                          day=MONDAY.replace(day=26), jp=3, title="Etika")
    c = await add_session(runtime.sessions, code="C", day=MONDAY.replace(day=24), jp=0)
    siti = await add_person(runtime.sessions, "1", nip=NIP_SITI, name="Siti")
    rina = await add_person(runtime.sessions, "2", nip=NIP_RINA, name="Rina")
    budi = await add_person(runtime.sessions, "3", nip=None, name="Budi")
    async with runtime.sessions() as s, s.begin():
        for pid, sid in ((siti, a), (siti, b), (siti, c), (rina, b), (budi, a)):
            await record_attendance(s, person_id=pid, session_id=sid, now=wib(MONDAY, 10),
                                    channel="telegram")
    sweep = CertificateSweep(runtime.sessions, runtime.deps.config, [])
    await sweep.run(wib(MONDAY, 12))  # session A only: B is on Thursday
    yield runtime
    await runtime.close()


async def test_siasn_xlsx_has_siasn_columns_and_one_row_per_person_and_session(
    rt: Runtime, tmp_path: Path
) -> None:
    assert rt.deps.config.certificates == CertificateConfig(public_url="https://dn.example.id")
    out = tmp_path / "siasn.xlsx"
    args = _parser().parse_args(["absensi", "siasn", "--year", "2026", "-o", str(out)])
    assert await run(rt, args) == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == SIASN_COLUMNS
    assert rows[1:] == [
        (NIP_RINA, "ASN Belajar: Etika", "BPSDM Provinsi Jawa Timur", "Webinar", 3,
         "26-11-2026", "26-11-2026", 2026, None, None, None, None, None),
        (NIP_SITI, "Forum ASN Berbagi Ilmu: Arsip", "BPSDM Provinsi Jawa Timur", "Webinar", 1.5,
         "23-11-2026", "23-11-2026", 2026, "DN/2026/000001", None, None, None, None),
        (NIP_SITI, "ASN Belajar: Etika", "BPSDM Provinsi Jawa Timur", "Webinar", 3,
         "26-11-2026", "26-11-2026", 2026, None, None, None, None, None),
    ]
    async with rt.sessions() as s:
        [entry, *_] = await recent_audit(s)
    assert (entry.action, entry.rows) == ("siasn_export", 3) and "SIASN 2026" in entry.detail


async def test_siasn_csv_is_plain_for_the_upload(
    rt: Runtime, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    args = _parser().parse_args(["absensi", "siasn", "--year", "2026", "--format", "csv"])
    assert await run(rt, args) == 0
    text = capsysbinary.readouterr().out.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(SIASN_COLUMNS)
    assert rows[2][:5] == [NIP_SITI, "Forum ASN Berbagi Ilmu: Arsip",
                           "BPSDM Provinsi Jawa Timur", "Webinar", "1.5"]
    assert rows[2][8] == "DN/2026/000001" and len(rows) == 4


QUIZ = """kode_sesi;nomor;pertanyaan;pilihan_a;pilihan_b;pilihan_c;pilihan_d;jawaban;penjelasan
A;1;Arsip aktif disimpan di mana?;Gudang;Unit pengolah;;;B;Dipakai sehari-hari.
A;2;Berapa JP minimal setahun?;10;20;40;;b;PP 17/2020.
"""


async def test_jadwal_import_kuis(rt: Runtime, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "kuis.csv"
    good.write_text(QUIZ, encoding="utf-8")
    args = _parser().parse_args(["jadwal", "import", "--kuis", str(good)])
    assert await import_cmd(rt, args) == 0
    assert "Kuis berhasil diimpor: 2 soal untuk 1 sesi." in capsys.readouterr().out
    async with rt.sessions() as s:
        sid = (await s.scalars(select(LearningSession.id).where(LearningSession.code == "A"))).one()
        questions = await questions_of(s, sid)
    assert [(q.position, q.text, q.options, q.answer) for q in questions] == [
        (1, "Arsip aktif disimpan di mana?", ["Gudang", "Unit pengolah"], 1),
        (2, "Berapa JP minimal setahun?", ["10", "20", "40"], 1),
    ]
    bad = tmp_path / "salah.csv"
    bad.write_text(QUIZ.splitlines()[0] + "\n"
                   "A;1;Soal?;Ya;;Tidak;;C;\n"
                   "Z9;1;Soal lain?;Ya;Tidak;;;E;\n"
                   + "".join(f"B;;Soal {i}?;Ya;Tidak;;;A;\n" for i in range(4)),
                   encoding="utf-8")
    args = _parser().parse_args(["jadwal", "import", "--kuis", str(bad)])
    assert await import_cmd(rt, args) == 1
    errors = capsys.readouterr().err
    assert "Baris 2: isi pilihan_a dan pilihan_b" in errors
    assert "Baris 3: jawaban 'E' tidak sah (isi huruf A–D)" in errors
    assert "Baris 3: kode_sesi Z9 tidak ada di jadwal" in errors
    assert "Baris 7: sesi B sudah punya 3 soal" in errors
    async with rt.sessions() as s:
        assert len(await questions_of(s, sid)) == 2  # nothing changed

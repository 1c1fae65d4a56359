"""The quiz and the new columns in the calendar: a `kuis` sheet in the .xlsx, `kuis:` lists in
the YAML, `evaluasi` and `bukti` checked with line numbers and exported back."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from db.engine import Sessions
from db.learning import questions_of
from db.models import LearningSession
from schedules.calendar_export import export_calendar
from schedules.calendar_import import CalendarImportError
from schedules.quiz_import import check_quiz_row, is_quiz_file
from tests.schedules.calendar_helpers import csv_bytes, run_import

HEADER = "kode_sesi,tanggal,program,judul,mulai,selesai,jp,kode_presensi,evaluasi,bukti"


async def _session(sessions: Sessions, code: str) -> LearningSession:
    async with sessions() as s:
        return (await s.scalars(select(LearningSession).where(LearningSession.code == code))
                ).one()


async def test_evaluasi_and_bukti_are_checked_and_exported(sessions: Sessions) -> None:
    data = csv_bytes(
        "B1,2026-11-26,ASN Belajar,Etika,09:00,11:00,2,KOPI,wajib,kode",
        "B2,2026-11-23,Forum ASN Berbagi Ilmu,Arsip,09:00,11:00,2,,Tidak,kuis",
        "B3,2026-11-25,ASN Mengaji,Ikhlas,09:00,11:00,2,,,",
        header=HEADER)
    await run_import(sessions, data)
    b1, b2, b3 = [await _session(sessions, c) for c in ("B1", "B2", "B3")]
    assert [(s.evaluation, s.proof) for s in (b1, b2, b3)] == [
        ("wajib", "kode"), ("tidak", "kuis"), (None, None)]
    async with sessions() as s:
        exported = (await export_calendar(s, tz=ZoneInfo("Asia/Jakarta"))).decode("utf-8-sig")
    assert "evaluasi,bukti" in exported.splitlines()[0]
    assert ",wajib,kode," in exported and ",tidak,kuis," in exported
    bad = csv_bytes("B4,2026-11-26,ASN Belajar,Etika,13:00,14:00,2,,kadang,kode",
                    header=HEADER)
    with pytest.raises(CalendarImportError) as refused:
        await run_import(sessions, bad)
    assert refused.value.lines == [
        (2, "bukti kode memerlukan kode_presensi (isi kodenya, atau bukti tombol)"),
        (2, "evaluasi 'kadang' tidak dikenal (isi tidak, wajib, ya, atau kosongkan)"),
    ]


async def test_the_kuis_sheet_of_an_xlsx_calendar(sessions: Sessions) -> None:
    book = Workbook()
    jadwal = book.active
    jadwal.title = "Jadwal"
    jadwal.append(["kode_sesi", "tanggal", "program", "judul", "mulai", "selesai", "jp"])
    jadwal.append(["K1", "2026-11-26", "ASN Belajar", "Etika", "09:00", "11:00", 2])
    kuis = book.create_sheet("Kuis")
    kuis.append(["kode_sesi", "pertanyaan", "pilihan_a", "pilihan_b", "jawaban", "penjelasan"])
    kuis.append(["K1", "Etika itu?", "Aturan", "Kebiasaan", "A", ""])
    kuis.append(["K1", "Pelayanan prima?", "Cepat", "Lambat", "a", "Cepat dan tepat."])
    out = io.BytesIO()
    book.save(out)
    report = await run_import(sessions, out.getvalue(), filename="jadwal.xlsx")
    assert (report.added, report.quiz_sessions, report.quiz_questions) == (1, 1, 2)
    assert "Kuis: 2 soal untuk 1 sesi." in report.summary()
    async with sessions() as s:
        questions = await questions_of(s, (await _session(sessions, "K1")).id)
    assert [(q.position, q.text, q.answer) for q in questions] == [
        (1, "Etika itu?", 0), (2, "Pelayanan prima?", 0)]


YAML = """sesi:
  - kode_sesi: Y1
    tanggal: 2026-11-26
    program: ASN Belajar
    judul: Etika
    mulai: "09:00"
    selesai: "11:00"
    bukti: kuis
    kuis:
      - pertanyaan: Etika itu?
        pilihan: [Aturan, Kebiasaan, Hobi]
        jawaban: A
        penjelasan: Aturan perilaku.
  - tanggal: 2026-11-23
    program: Forum ASN Berbagi Ilmu
    judul: Arsip
    mulai: "09:00"
    selesai: "11:00"
    kuis:
      - pertanyaan: Tanpa kode sesi?
        pilihan: [Ya, Tidak]
        jawaban: A
"""


async def test_kuis_lists_in_yaml_need_the_session_code(sessions: Sessions) -> None:
    with pytest.raises(CalendarImportError) as refused:
        await run_import(sessions, YAML.encode(), filename="jadwal.yaml")
    assert refused.value.lines == [(20, "kode_sesi wajib diisi (kuis dicocokkan dengan sesi "
                                        "lewat kodenya)")]
    fixed = YAML.replace("  - tanggal: 2026-11-23", "  - kode_sesi: Y2\n    tanggal: 2026-11-23")
    report = await run_import(sessions, fixed.encode(), filename="jadwal.yaml")
    assert (report.added, report.quiz_sessions, report.quiz_questions) == (2, 2, 2)
    async with sessions() as s:
        [q] = await questions_of(s, (await _session(sessions, "Y1")).id)
    assert (q.options, q.explanation) == (["Aturan", "Kebiasaan", "Hobi"], "Aturan perilaku.")
    # The same file again changes nothing; a dry run of new sessions checks the quiz too.
    again = await run_import(sessions, fixed.encode(), filename="jadwal.yaml")
    assert again.total_changes == 0 and again.quiz_questions == 2


def test_one_question_checked_like_a_calendar_row() -> None:
    assert check_quiz_row({"kode_sesi": "X", "pertanyaan": "?", "pilihan_a": "1",
                           "pilihan_b": "2", "pilihan_d": "4", "jawaban": "D"}) == [
        "isi pilihan_a dan pilihan_b, lalu pilihan_c dan pilihan_d bila perlu, tanpa melompati"]
    row = check_quiz_row({"kode_sesi": "X", "nomor": "2", "pertanyaan": "?", "pilihan_a": "1",
                          "pilihan_b": "2", "jawaban": "b"}, line=5)
    assert not isinstance(row, list) and (row.line, row.position, row.answer) == (5, 2, 1)
    assert is_quiz_file(b"kode_sesi;pertanyaan;pilihan_a\n", "kuis.csv")
    assert not is_quiz_file(b"tanggal,program,judul\n", "jadwal.csv")

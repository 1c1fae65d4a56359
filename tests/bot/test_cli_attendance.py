"""`dahar-ngopi absensi export|jp|audit` on a small database: files read back, audit written."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import _parser
from bot.cli_attendance import run
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.attendance import record_attendance
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    """A runtime with two sessions and two people who attended both."""
    runtime = await build_runtime(make_settings({"SAMPLE_CALENDAR": "false"}), clock,
                                  migrate=False)
    a = await add_session(runtime.sessions, code="A", jp=1.5)
    b = await add_session(runtime.sessions, code="B", programme="asn-belajar",
                          day=MONDAY.replace(day=26), jp=3)
    people = [await add_person(runtime.sessions, "1", nip="198507142010012003", name="Siti"),
              await add_person(runtime.sessions, "2", nip=None, name="Budi")]
    async with runtime.sessions() as s, s.begin():
        for pid in people:
            for sid in (a, b):
                await record_attendance(s, person_id=pid, session_id=sid,
                                        now=wib(MONDAY, 10), channel="telegram")
    yield runtime
    await runtime.close()


async def test_export_csv_for_indonesian_excel(rt: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "absensi.csv"
    args = _parser().parse_args(["absensi", "export", "--from", "2026-11-01", "--to",
                                 "2026-11-30", "--sep", ";", "-o", str(out)])
    assert await run(rt, args) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 4
    assert [r[11] for r in rows[1:]] == ["1,5", "0", "3", "0"]


async def test_export_plain_csv_to_stdout(
    rt: Runtime, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    args = _parser().parse_args(["absensi", "export", "--from", "2026-11-26", "--to",
                                 "2026-11-26", "--plain"])
    assert await run(rt, args) == 0
    captured = capsysbinary.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out.decode("utf-8-sig"))))
    assert rows[1][0] == "198507142010012003" and rows[1][11] == "3"
    assert b"wrote 2 rows to stdout" in captured.err


async def test_export_xlsx_and_jp(rt: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "absensi.xlsx"
    args = _parser().parse_args(["absensi", "export", "--format", "xlsx", "-o", str(out)])
    assert await run(rt, args) == 0  # default period: this month up to today (23 Nov)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Ringkasan", "Forum ASN Berbagi Ilmu"]
    jp_out = tmp_path / "jp.xlsx"
    args = _parser().parse_args(["absensi", "jp", "--year", "2026", "--format", "xlsx",
                                 "-o", str(jp_out)])
    assert await run(rt, args) == 0
    rows = list(load_workbook(jp_out)["JP 2026"].iter_rows(values_only=True))
    assert rows[1:] == [("198507142010012003", "Siti", "Dinas Pendidikan Kab. Sidoarjo",
                         "Kab. Sidoarjo", 4.5, 2)]


async def test_every_cli_export_is_audited(
    rt: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["absensi", "export", "-o", str(tmp_path / "a.csv")],
                 ["absensi", "jp", "-o", str(tmp_path / "j.csv")]):
        assert await run(rt, _parser().parse_args(argv)) == 0
    capsys.readouterr()
    assert await run(rt, _parser().parse_args(["absensi", "audit"])) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[1].startswith("cli:") and "\texport\t2\t" in lines[0]
    assert "\tjp_export\t1\tJP 2026 (CLI)" in lines[1]


async def test_bad_separator_and_dates(rt: Runtime) -> None:
    assert await run(rt, _parser().parse_args(["absensi", "export", "--sep", ";;"])) == 2
    args = _parser().parse_args(["absensi", "export", "--from", "2026-11-30", "--to",
                                 "2026-11-01"])
    assert await run(rt, args) == 2
    with pytest.raises(SystemExit):
        _parser().parse_args(["absensi", "export", "--from", "30/11/2026"])

"""The streaming CSV and XLSX writers: Excel-friendly values, sheets, row limits, memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from db.attendance import ExportRow
from handlers import export_files
from handlers.export_files import (
    ATTENDANCE_COLUMNS,
    CsvWriter,
    XlsxWriter,
    attendance_values,
    pipe,
)

WIB = ZoneInfo("Asia/Jakarta")


def _row(i: int, *, nip: str | None = "198507142010012003", programme: str = "ASN Belajar",
         name: str | None = "Siti") -> ExportRow:
    return ExportRow(
        nip=nip, name=name, instansi="Dinas", region_code="3515", day=date(2026, 11, 26),
        programme=programme, title=f"Sesi {i}", session_code="BLJ", channel="telegram",
        reported_at=datetime(2026, 11, 26, 3, 15, 30, 123, tzinfo=UTC), source="self",
        jp=2.5 if nip else 0.0,
    )


def _region(code: str | None) -> str:
    return {"3515": "Kab. Sidoarjo"}.get(code or "", "")


def test_values_are_local_wall_clock_and_erasure_shows() -> None:
    values = attendance_values(_row(1), WIB, _region)
    assert values[3] == "Kab. Sidoarjo"
    assert values[8] == datetime(2026, 11, 26, 10, 15, 30)  # noqa: DTZ001  (Excel: no zones)
    assert values[10] == "mandiri"
    erased = attendance_values(_row(2, nip=None, name=None), WIB, _region)
    assert erased[:2] == ["", "(data dihapus)"]


@pytest.mark.parametrize(("sep", "plain", "jp", "nip"), [
    (";", False, "2,5", '="198507142010012003"'),
    (",", False, "2.5", '="198507142010012003"'),
    (";", True, "2.5", "198507142010012003"),
])
def test_csv_dialects(sep: str, plain: bool, jp: str, nip: str) -> None:
    out = io.BytesIO()
    writer = CsvWriter(out, ATTENDANCE_COLUMNS, sep=sep, plain=plain)
    writer.write("x", [attendance_values(_row(1), WIB, _region)])
    writer.close()
    data = out.getvalue()
    assert data.startswith("\ufeff".encode()) and data.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=sep))
    assert rows[1][0] == nip and rows[1][11] == jp
    assert rows[1][4] == "2026-11-26" and rows[1][8] == "2026-11-26 10:15:30"
    assert not out.closed  # the caller's stream stays open


def test_xlsx_sheets_roll_over_at_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_files, "XLSX_MAX_ROWS", 3)
    out = io.BytesIO()
    writer = XlsxWriter(out, ATTENDANCE_COLUMNS, (4,), (8,))
    long_name = "ASN Bertanya, BPSDM Menjawab: Edisi/Khusus [Panjang]"
    writer.write(long_name, [attendance_values(_row(i), WIB, _region) for i in range(7)])
    writer.write("ASN Belajar", [attendance_values(_row(9), WIB, _region)])
    writer.summary(("Program", "Kehadiran"), [["semua", 8]])
    writer.close()
    wb = load_workbook(io.BytesIO(out.getvalue()))
    first = "ASN Bertanya, BPSDM Menjawab- E"
    assert wb.sheetnames == ["Ringkasan", first, first[:27] + " (2)", first[:27] + " (3)",
                             "ASN Belajar"]
    sizes = [wb[name].max_row for name in wb.sheetnames[1:4]]
    assert sizes == [4, 4, 2]  # a header on every part
    assert [c.value for c in wb[wb.sheetnames[2]][1]][:2] == ["NIP", "Nama"]
    assert writer.rows == 8
    assert list(wb["Ringkasan"].iter_rows(values_only=True)) == [("Program", "Kehadiran"),
                                                                  ("semua", 8)]


async def test_csv_export_streams_in_bounded_memory() -> None:
    """20,000 rows pass through without the writer holding them (peak stays small)."""

    async def batches() -> AsyncIterator[list[ExportRow]]:
        for b in range(10):
            yield [_row(b * 2000 + i) for i in range(2000)]

    sink = _CountingSink()
    writer = CsvWriter(sink, ATTENDANCE_COLUMNS, sep=";")
    tracemalloc.start()
    try:
        count = await pipe(batches(), writer,
                           lambda r: (r.programme, attendance_values(r, WIB, _region)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    writer.close()
    assert count == 20_000 and sink.lines == 20_001
    assert peak < 6 * 1024 * 1024, peak  # ~2 batches, not 20,000 rows (~16 MB as objects)


class _CountingSink(io.RawIOBase):
    """A binary stream that counts lines and keeps nothing."""

    def __init__(self) -> None:
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.lines += bytes(data).count(b"\n")
        return len(data)

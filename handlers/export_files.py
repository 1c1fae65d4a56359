"""Streaming CSV and XLSX writers for attendance exports and the yearly JP summary.

Rows arrive in batches from `db.attendance` and are written at once, so an export of a
million rows never holds them all in memory (openpyxl's write-only mode writes each row
to a temporary file and keeps strings inline, without a shared-string table).
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal, Protocol
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncSession

from db.attendance import (
    JP_TARGET,
    ExportRow,
    JpRow,
    export_sessions,
    stream_export_rows,
    stream_jp_rows,
)
from db.certificates import SiasnRow, stream_siasn_rows
from db.learning import stream_evaluations

__all__ = [
    "ATTENDANCE_COLUMNS",
    "EVALUATION_COLUMNS",
    "JP_COLUMNS",
    "SIASN_COLUMNS",
    "SIASN_COURSE_TYPE",
    "CsvWriter",
    "Format",
    "RegionName",
    "SheetWriter",
    "XlsxWriter",
    "attendance_values",
    "export_attendance",
    "export_evaluations",
    "export_jp",
    "export_siasn",
    "jp_values",
    "make_writer",
    "pipe",
    "siasn_values",
    "zip_file",
]

Format = Literal["csv", "xlsx"]
RegionName = Callable[[str | None], str]

ATTENDANCE_COLUMNS = (
    "NIP", "Nama", "Instansi/OPD", "Kabupaten/Kota", "Tanggal Sesi", "Program", "Judul Sesi",
    "Kode Sesi", "Waktu Presensi", "Kanal", "Sumber", "JP",
)
JP_COLUMNS = ("NIP", "Nama", "Instansi/OPD", "Kabupaten/Kota", "Total JP", "Jumlah Sesi")
# Named after SIASN's course-record fields (riwayat kursus), so a BKD operator can complete
# the ids SIASN assigns (left empty) and upload it without retyping (docs/certificates.md).
SIASN_COLUMNS = (
    "nip", "namaKursus", "institusiPenyelenggara", "jenisKursus", "jumlahJam", "tanggalKursus",
    "tanggalSelesaiKursus", "tahunKursus", "nomorSertipikat", "pnsOrangId", "instansiId",
    "lokasiId", "jenisDiklatId",
)
EVALUATION_COLUMNS = ("Materi (1-5)", "Narasumber (1-5)", "Manfaat (1-5)", "Saran",
                      "Selesai")
SIASN_COURSE_TYPE = "Webinar"  # every Dahar Ngopi session is held online (Zoom, YouTube)
_ERASED = "(data dihapus)"
_SOURCES = {"self": "mandiri", "correction": "koreksi admin"}
# Excel's limit is 1,048,576 rows a sheet; one is the header.
XLSX_MAX_ROWS = 1_048_575
_DATE_FMT = "dd/mm/yyyy"
_TIME_FMT = "dd/mm/yyyy hh:mm"


def attendance_values(row: ExportRow, tz: ZoneInfo, region: RegionName) -> list[Any]:
    """The exported cells of one attendance (times in the agency's zone, without tzinfo)."""
    erased = row.nip is None and row.name is None
    return [
        row.nip or "",
        _ERASED if erased else row.name or "",
        row.instansi or "",
        region(row.region_code),
        row.day,
        row.programme,
        row.title,
        row.session_code,
        row.reported_at.astimezone(tz).replace(tzinfo=None, microsecond=0),
        row.channel,
        _SOURCES.get(row.source, row.source),
        row.jp,
    ]


def jp_values(row: JpRow, region: RegionName) -> list[Any]:
    """The exported cells of one person's yearly JP."""
    return [row.nip, row.name or "", row.instansi or "", region(row.region_code), row.jp,
            row.sessions]


class SheetWriter(Protocol):
    """Something rows are written to, sheet by sheet (CSV ignores sheets)."""

    rows: int

    def write(self, sheet: str, values: Sequence[Sequence[Any]]) -> None: ...

    def summary(self, header: Sequence[str], values: Sequence[Sequence[Any]]) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    """CSV that Excel opens as it should: UTF-8 with a BOM, `;` by default (Indonesian-locale
    Excel splits on it), decimal comma with `;`, NIPs kept as text (an 18-digit number would
    lose its last digits), ISO dates and times that every Excel reads as dates.

    `plain=True` writes the bare values (decimal point, NIP digits) for programs.
    """

    def __init__(
        self, out: IO[bytes], header: Sequence[str], *, sep: str = ";", plain: bool = False,
        nip_columns: Sequence[int] = (0,),
    ) -> None:
        if len(sep) != 1:
            raise ValueError("the separator must be one character")
        self._out = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        self._csv = csv.writer(self._out, delimiter=sep, lineterminator="\r\n")
        self._comma = sep == ";" and not plain
        self._plain = plain
        self._nips = set(nip_columns)
        self._csv.writerow(header)
        self.rows = 0

    def _cell(self, i: int, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float):
            text = f"{value:g}"
            return text.replace(".", ",") if self._comma else text
        if i in self._nips and value and not self._plain:
            return f'="{value}"'
        return value

    def write(self, sheet: str, values: Sequence[Sequence[Any]]) -> None:
        """Append rows (the sheet name is not written)."""
        self._csv.writerows([self._cell(i, v) for i, v in enumerate(r)] for r in values)
        self.rows += len(values)

    def summary(self, header: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
        """CSV has one table: no summary."""

    def close(self) -> None:
        """Flush; the underlying stream stays open."""
        self._out.flush()
        self._out.detach()


@dataclass
class _Sheet:
    ws: Any
    rows: int = 0
    part: int = 1


@dataclass
class XlsxWriter:
    """An .xlsx in openpyxl's write-only mode: a header row per sheet, real date cells, one
    sheet per `sheet` name (a second part when a sheet would pass Excel's row limit), and a
    summary sheet first when `summary()` is called.
    """

    out: IO[bytes]
    header: Sequence[str]
    date_columns: Sequence[int] = ()
    time_columns: Sequence[int] = ()
    summary_title: str | None = "Ringkasan"
    rows: int = 0
    _wb: Any = field(init=False)
    _sheets: dict[str, _Sheet] = field(init=False, default_factory=dict)
    _summary_ws: Any = field(init=False, default=None)
    _summary_written: bool = field(init=False, default=False)
    _bold: Font = field(init=False, default_factory=lambda: Font(bold=True))

    def __post_init__(self) -> None:
        self._wb = Workbook(write_only=True)
        if self.summary_title:
            # Created first so it is the first tab; filled at the end.
            self._summary_ws = self._wb.create_sheet(self.summary_title)

    def _title(self, name: str, part: int) -> str:
        clean = "".join("-" if c in "\\/?*[]:" else c for c in name).strip() or "Data"
        suffix = f" ({part})" if part > 1 else ""
        return clean[: 31 - len(suffix)] + suffix

    def _header(self, ws: Any, header: Sequence[str]) -> None:
        cells = []
        for text in header:
            cell = WriteOnlyCell(ws, text)
            cell.font = self._bold
            cells.append(cell)
        ws.append(cells)

    def _sheet(self, name: str) -> _Sheet:
        sheet = self._sheets.get(name)
        if sheet is None:
            ws = self._wb.create_sheet(self._title(name, 1))
            ws.freeze_panes = "A2"
            self._header(ws, self.header)
            sheet = self._sheets[name] = _Sheet(ws)
        elif sheet.rows >= XLSX_MAX_ROWS:
            sheet.part += 1
            sheet.ws = self._wb.create_sheet(self._title(name, sheet.part))
            sheet.ws.freeze_panes = "A2"
            self._header(sheet.ws, self.header)
            sheet.rows = 0
        return sheet

    def write(self, sheet: str, values: Sequence[Sequence[Any]]) -> None:
        """Append rows to a sheet (created with its header on first use)."""
        for row in values:
            target = self._sheet(sheet)
            cells = list(row)
            for i in self.date_columns:
                cells[i] = self._styled(target.ws, cells[i], _DATE_FMT)
            for i in self.time_columns:
                cells[i] = self._styled(target.ws, cells[i], _TIME_FMT)
            target.ws.append(cells)
            target.rows += 1
        self.rows += len(values)

    @staticmethod
    def _styled(ws: Any, value: Any, fmt: str) -> Any:
        cell = WriteOnlyCell(ws, value)
        cell.number_format = fmt
        return cell

    def summary(self, header: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
        """Fill the summary sheet."""
        if self._summary_ws is None:
            return
        self._header(self._summary_ws, header)
        for row in values:
            self._summary_ws.append(list(row))
        self._summary_written = True

    def close(self) -> None:
        """Write the workbook out."""
        if self._summary_ws is not None and not self._summary_written:
            self._summary_ws.append(["Tidak ada data pada periode ini."])
        if not self._sheets and self._summary_ws is None:
            self._header(self._wb.create_sheet("Data"), self.header)
        self._wb.save(self.out)


def make_writer(
    fmt: Format, out: IO[bytes], header: Sequence[str], *, sep: str = ";",
    plain: bool = False, date_columns: Sequence[int] = (), time_columns: Sequence[int] = (),
    summary: bool = True, nip_columns: Sequence[int] = (0,),
) -> SheetWriter:
    """A CSV or XLSX writer for `header` (`nip_columns`: kept as text in a CSV for Excel)."""
    if fmt == "csv":
        return CsvWriter(out, header, sep=sep, plain=plain, nip_columns=nip_columns)
    return XlsxWriter(out, header, date_columns, time_columns,
                      summary_title="Ringkasan" if summary else None)


async def pipe(
    batches: AsyncIterator[list[Any]],
    writer: SheetWriter,
    convert: Callable[[Any], tuple[str, list[Any]]],
) -> int:
    """Write every batch (`convert` gives each row's sheet and cells); return the row count.

    Writing runs in a worker thread so the event loop keeps answering people meanwhile.
    """

    def write(batch: list[Any]) -> None:
        by_sheet: dict[str, list[list[Any]]] = {}
        for item in batch:
            sheet, cells = convert(item)
            by_sheet.setdefault(sheet, []).append(cells)
        for sheet, rows in by_sheet.items():
            writer.write(sheet, rows)

    async for batch in batches:
        await asyncio.to_thread(write, batch)
    return writer.rows


def zip_file(source: Path, target: Path, arcname: str) -> None:
    """Deflate `source` into the zip `target` as `arcname`."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.write(source, arcname)


async def export_attendance(
    s: AsyncSession,
    out: IO[bytes],
    *,
    first: date,
    last: date,
    fmt: Format,
    tz: ZoneInfo,
    region: RegionName,
    sep: str = ";",
    plain: bool = False,
    session_id: int | None = None,
) -> int:
    """Write every attendance of sessions from `first` to `last` (only session `session_id`
    when given); return the row count.

    XLSX gets a sheet per programme and a summary sheet; CSV is one table by date.
    """
    sessions = await export_sessions(s, first, last, by_programme=fmt == "xlsx")
    if session_id is not None:
        sessions = [(sid, name) for sid, name in sessions if sid == session_id]
    writer = make_writer(fmt, out, ATTENDANCE_COLUMNS, sep=sep, plain=plain,
                         date_columns=(4,), time_columns=(8,))
    # programme -> (session codes, [rows, credited rows, credited JP]), filled while writing.
    totals: dict[str, tuple[set[str], list[float]]] = {}
    ids = {sid: name for sid, name in sessions}

    def convert(row: ExportRow) -> tuple[str, list[Any]]:
        seen, sums = totals.setdefault(row.programme, (set(), [0, 0, 0.0]))
        seen.add(row.session_code)
        sums[0] += 1
        if row.nip:
            sums[1] += 1
            sums[2] += row.jp
        return row.programme, attendance_values(row, tz, region)

    count = await pipe(stream_export_rows(s, list(ids)), writer, convert)
    lines: list[list[Any]] = [
        [name, len(seen), int(sums[0]), int(sums[1]), sums[2]]
        for name, (seen, sums) in totals.items()
    ]
    lines.append(["Total", sum(r[1] for r in lines), sum(r[2] for r in lines),
                  sum(r[3] for r in lines), sum(r[4] for r in lines)])
    lines.append([f"Periode {first:%d/%m/%Y} s.d. {last:%d/%m/%Y}"])
    writer.summary(("Program", "Sesi", "Kehadiran", "Terhitung JP (ber-NIP)", "Total JP"), lines)
    await asyncio.to_thread(writer.close)
    return count


async def export_jp(
    s: AsyncSession,
    out: IO[bytes],
    *,
    year: int,
    fmt: Format,
    region: RegionName,
    sep: str = ";",
    plain: bool = False,
) -> int:
    """Write the JP summary per person (with a NIP) for `year`; return the row count."""
    writer = make_writer(fmt, out, JP_COLUMNS, sep=sep, plain=plain)
    people = [0, 0, 0.0]  # people, reaching the target, JP

    def convert(row: JpRow) -> tuple[str, list[Any]]:
        people[0] += 1
        people[1] += row.jp >= JP_TARGET
        people[2] += row.jp
        return f"JP {year}", jp_values(row, region)

    count = await pipe(stream_jp_rows(s, year), writer, convert)
    writer.summary(("Keterangan", "Nilai"), [
        ["Tahun", year],
        ["ASN ber-NIP dengan kehadiran", int(people[0])],
        [f"Mencapai target {JP_TARGET} JP", int(people[1])],
        ["Total JP", people[2]],
    ])
    await asyncio.to_thread(writer.close)
    return count


def siasn_values(row: SiasnRow, organiser: str) -> list[Any]:
    """One SIASN course record: dates as dd-mm-yyyy text, JP as a number, ids left empty."""
    jp: float | int = int(row.jp) if row.jp == int(row.jp) else row.jp
    day = f"{row.day:%d-%m-%Y}"
    return [row.nip, f"{row.programme}: {row.title}", organiser, SIASN_COURSE_TYPE, jp, day,
            day, row.day.year, row.number or "", "", "", "", ""]


async def export_siasn(
    s: AsyncSession,
    out: IO[bytes],
    *,
    year: int,
    fmt: Format,
    organiser: str,
    sep: str = ",",
) -> int:
    """Write one SIASN course record per person with a NIP and attended session with JP in
    `year`; return the row count. CSV is plain (NIPs as digits) for the upload."""
    writer = make_writer(fmt, out, SIASN_COLUMNS, sep=sep, plain=True, summary=False)

    def convert(row: SiasnRow) -> tuple[str, list[Any]]:
        return f"Kursus {year}", siasn_values(row, organiser)

    count = await pipe(stream_siasn_rows(s, year), writer, convert)
    await asyncio.to_thread(writer.close)
    return count


async def export_evaluations(
    s: AsyncSession, out: IO[bytes], *, session_id: int, title: str, fmt: Format, tz: ZoneInfo,
    sep: str = ";",
) -> int:
    """Write a session's evaluations (anonymous: ratings, comment, completion time) with a
    summary of the averages; return the row count."""
    # No NIP in it: the first column is a rating, written as a number.
    writer = make_writer(fmt, out, EVALUATION_COLUMNS, sep=sep, time_columns=(4,),
                         nip_columns=())
    sums = [0.0, 0.0, 0.0]
    counts = [0, 0, 0]

    def convert(row: tuple[Any, ...]) -> tuple[str, list[Any]]:
        for i in range(3):
            if row[i]:
                sums[i] += row[i]
                counts[i] += 1
        done = row[4].astimezone(tz).replace(tzinfo=None, microsecond=0) if row[4] else None
        return "Evaluasi", [row[0], row[1], row[2], row[3] or "", done]

    count = await pipe(stream_evaluations(s, session_id), writer, convert)
    writer.summary(("Keterangan", "Nilai"), [
        ["Sesi", title],
        ["Evaluasi", count],
        *[[label, round(sums[i] / counts[i], 2) if counts[i] else "-"]
          for i, label in enumerate(("Rata-rata materi", "Rata-rata narasumber",
                                     "Rata-rata manfaat"))],
    ])
    await asyncio.to_thread(writer.close)
    return count

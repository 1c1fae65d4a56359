"""Read the raw rows of a calendar file (CSV, YAML or Excel .xlsx), each with its line number,
and check one row's cells (`check_row`): the same check serves a file import and a form that
edits one session.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import PurePath
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml

from core.programme import PROGRAMMES, Programme, find_programme
from core.timezones import format_date
from schedules.calendar_report import CalendarImportError, RowError
from schedules.calendar_values import (
    Cell,
    CellError,
    cell_text,
    parse_date,
    parse_date_time,
    parse_jp,
    parse_time,
    parse_url,
)

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "REQUIRED",
    "Format",
    "HolidayRow",
    "RawRow",
    "SessionRow",
    "check_row",
    "decode_text",
    "detect_format",
    "read_rows",
]

log = logging.getLogger(__name__)

Format = Literal["csv", "yaml", "xlsx"]

COLUMNS: tuple[str, ...] = (
    "kode_sesi", "tanggal", "hari", "program", "judul", "narasumber", "mulai", "selesai",
    "jp", "tautan_zoom", "tautan_youtube", "tautan_rekaman", "kode_presensi",
    "tutup_presensi", "evaluasi", "bukti", "status", "keterangan",
)
"""Every column, in the order the export writes them."""

REQUIRED: tuple[str, ...] = ("tanggal", "program")
"""Columns every file needs; a session row also needs judul, mulai and selesai filled."""

# Read and dropped: admins keep a row number or notes for their own eyes. (`hari`, the day's
# name, is a column: the import only checks it against the date.)
IGNORED = frozenset({"no", "nomor", "catatan"})

# Headers people actually type in a spreadsheet, mapped to ours.
_ALIASES = {
    "kode": "kode_sesi", "id": "kode_sesi", "tgl": "tanggal", "programme": "program",
    "acara": "program", "topik": "judul", "tema": "judul", "pemateri": "narasumber",
    "jam_mulai": "mulai", "jam_selesai": "selesai", "zoom": "tautan_zoom",
    "link_zoom": "tautan_zoom", "youtube": "tautan_youtube", "link_youtube": "tautan_youtube",
    "rekaman": "tautan_rekaman", "link_rekaman": "tautan_rekaman",
    "batas_presensi": "tutup_presensi", "presensi_ditutup": "tutup_presensi",
    "evaluation": "evaluasi", "bukti_kehadiran": "bukti", "bukti_presensi": "bukti",
}

MAX_ROWS = 5000
"""More rows than this is not a content calendar (a year holds about 250 working days)."""


@dataclass(frozen=True)
class RawRow:
    """One non-empty row: its spreadsheet line (header = 1) and the cells of the columns present.

    A column absent from the file (or a key absent from a YAML entry) is absent from `cells`:
    the import then leaves that field as it is; an empty cell is present and clears it.
    """

    line: int
    cells: Mapping[str, Cell]


def detect_format(data: bytes, filename: str | None = None) -> Format:
    """The format from the file name's extension, else from the content."""
    if filename:
        suffix = PurePath(filename).suffix.lower()
        if suffix in (".csv", ".txt", ".tsv"):
            return "csv"
        if suffix in (".yaml", ".yml"):
            return "yaml"
        if suffix in (".xlsx", ".xlsm"):
            return "xlsx"
        if suffix in (".xls", ".ods", ".numbers"):
            raise CalendarImportError([RowError(None, (
                f"Format {suffix} belum didukung. Mohon simpan sebagai Excel (.xlsx) atau CSV."
            ))])
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = decode_text(data[:2000]).lstrip()
    if head.startswith(("-", "sesi:", "---", "#")):
        return "yaml"
    return "csv"


def decode_text(data: bytes) -> str:
    """Text from UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 / Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows without "UTF-8" in the save dialog writes the ANSI code page.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_rows(data: bytes, fmt: Format) -> list[RawRow]:
    """The non-empty rows of a file; a file-level problem raises `CalendarImportError`."""
    if not data.strip():
        raise CalendarImportError([RowError(None, "Berkas kosong.")])
    if fmt == "csv":
        rows = _csv_rows(decode_text(data))
    elif fmt == "yaml":
        rows = _yaml_rows(decode_text(data))
    else:
        rows = _xlsx_rows(data)
    if not rows:
        raise CalendarImportError([RowError(None, "Berkas tidak berisi satu baris jadwal pun.")])
    if len(rows) > MAX_ROWS:
        raise CalendarImportError([RowError(None, (
            f"Berkas berisi {len(rows)} baris; paling banyak {MAX_ROWS} baris sekali impor."
        ))])
    return rows


def _column(name: object) -> str:
    key = "_".join(str(name or "").strip().lstrip("\ufeff").lower().replace("-", " ").split())
    return _ALIASES.get(key, key)


def _header(cells: list[object]) -> list[str | None]:
    """Column names by position (None for an ignored or blank column); bad headers raise."""
    names = [_column(c) for c in cells]
    errors: list[RowError] = []
    unknown = [str(c).strip() for c, n in zip(cells, names, strict=True)
               if n and n not in COLUMNS and n not in IGNORED]
    if unknown:
        errors.append(RowError(1, (
            "kolom tidak dikenal: " + ", ".join(unknown)
            + ". Kolom yang dikenal: " + ", ".join(COLUMNS) + "."
        )))
    seen: set[str] = set()
    for n in names:
        if n in COLUMNS and n in seen:
            errors.append(RowError(1, f"kolom {n} muncul dua kali"))
        seen.add(n)
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        errors.append(RowError(1, (
            "kolom wajib tidak ada: " + ", ".join(missing)
            + ". Baris pertama harus berisi nama kolom, misalnya: tanggal, program, judul, "
            "narasumber, mulai, selesai."
        )))
    if errors:
        raise CalendarImportError(errors)
    return [n if n in COLUMNS else None for n in names]


def _table(records: list[tuple[int, list[Cell]]]) -> list[RawRow]:
    """Rows from (line, cells) records whose first one is the header."""
    if not records:
        return []
    header_line, header_cells = records[0]
    if header_line != 1:
        raise CalendarImportError([RowError(1, (
            "baris pertama kosong; baris pertama harus berisi nama kolom"
        ))])
    names = _header(list(header_cells))
    rows: list[RawRow] = []
    for line, cells in records[1:]:
        padded = list(cells) + [None] * (len(names) - len(cells))
        extra = [c for c in padded[len(names):] if _filled(c)]
        if extra:
            raise CalendarImportError([RowError(line, (
                "baris ini berisi lebih banyak sel daripada judul kolom; "
                "periksa pemisah kolom atau tanda kutip"
            ))])
        row = {n: c for n, c in zip(names, padded, strict=False) if n is not None}
        rows.append(RawRow(line, row))
    return rows


def _filled(cell: Cell) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _sniff_separator(text: str) -> str:
    """The separator of the header line: ';' (Indonesian Excel), ',' or tab."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts: dict[str, int] = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: (counts[k], k == ","))
    return best if counts[best] else ","


def _csv_rows(text: str) -> list[RawRow]:
    first, _, rest = text.partition("\n")
    hint = first.strip().lower()
    if hint.startswith("sep=") and len(hint) == 5:
        # Excel's "sep=;" line: Excel hides it, so the header is still line 1 for the admin.
        sep, text = first.strip()[4], rest
    else:
        sep = _sniff_separator(text)
    records: list[tuple[int, list[Cell]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        # A record is one spreadsheet row even when a quoted cell spans several lines.
        for line, cells in enumerate(reader, start=1):
            if any(c.strip() for c in cells):
                records.append((line, list(cells)))
    except csv.Error as exc:
        raise CalendarImportError([RowError(None, f"Berkas CSV rusak: {exc}")]) from None
    return _table(records)


def _xlsx_rows(data: bytes) -> list[RawRow]:
    import openpyxl  # imported here: loading it costs time that CSV users need not pay

    try:
        with warnings.catch_warnings():
            # openpyxl warns about sheet features it drops (validation, styles): not our concern.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        log.info("unreadable xlsx upload: %s", type(exc).__name__)
        raise CalendarImportError([RowError(None, (
            "Berkas Excel tidak bisa dibaca. Mohon simpan ulang sebagai .xlsx atau CSV."
        ))]) from None
    try:
        sheet = next(
            (ws for ws in book.worksheets if ws.title.strip().lower() == "jadwal"),
            book.worksheets[0],
        )
        records: list[tuple[int, list[Cell]]] = []
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_cell(v) for v in values]
            if any(_filled(c) for c in cells):
                records.append((line, cells))
    finally:
        book.close()
    return _table(records)


def _xlsx_cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | date | time):
        return value  # datetime is a date
    return str(value)


def _yaml_rows(text: str) -> list[RawRow]:
    # BaseLoader keeps every scalar a string: YAML 1.1 would read 10:30 as the number 630.
    loader = yaml.BaseLoader(text)
    try:
        root = loader.get_single_node()
        items = _yaml_items(root)
        rows: list[RawRow] = []
        for item in items:
            line = item.start_mark.line + 1
            if not isinstance(item, yaml.MappingNode):
                raise CalendarImportError([RowError(line, (
                    "setiap sesi harus berupa pasangan kolom: nilai (misalnya tanggal: 2026-11-23)"
                ))])
            rows.append(RawRow(line, _yaml_mapping(loader, item, line)))
        return rows
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise CalendarImportError([RowError(line, "Berkas YAML tidak bisa dibaca.")]) from None
    finally:
        loader.dispose()


def _yaml_items(root: yaml.Node | None) -> list[yaml.Node]:
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value.strip().lower() == "sesi":
                root = value
                break
        else:
            raise CalendarImportError([RowError(root.start_mark.line + 1, (
                "berkas YAML harus berupa daftar sesi, atau berisi kunci 'sesi:' dengan daftar"
            ))])
    if isinstance(root, yaml.ScalarNode) and not root.value.strip():
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise CalendarImportError([RowError(root.start_mark.line + 1, (
            "berkas YAML harus berupa daftar sesi (setiap sesi diawali tanda '-')"
        ))])
    return list(root.value)


def _yaml_mapping(loader: yaml.BaseLoader, node: yaml.MappingNode, line: int) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    unknown: list[str] = []
    for key_node, value_node in node.value:
        key = _column(loader.construct_object(key_node, deep=True))
        if key in IGNORED or key == "kuis":  # the quiz is read by schedules.quiz_import
            continue
        value = loader.construct_object(value_node, deep=True)
        if key not in COLUMNS:
            unknown.append(str(key_node.value))
            continue
        if not isinstance(value, str):
            raise CalendarImportError([RowError(value_node.start_mark.line + 1, (
                f"nilai {key} harus satu teks, bukan daftar"
            ))])
        cells[key] = None if value.strip().lower() in ("~", "null") else value
    if unknown:
        raise CalendarImportError([RowError(line, (
            "kolom tidak dikenal: " + ", ".join(unknown)
        ))])
    return cells



# One row checked: a file's row or a form's fields, parsed into a session or a holiday.

_HOLIDAY_WORDS = ("libur", "cuti bersama")
_SESSION_COLUMNS = ("judul", "mulai", "selesai")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_STATUS = {"": "aktif", "aktif": "aktif", "batal": "batal", "dibatalkan": "batal"}
_WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_WEEKDAY_NUMBERS = {name.lower(): n for n, name in enumerate(_WEEKDAYS)} | {"ahad": 6}


@dataclass(frozen=True)
class SessionRow:
    """A session row that passed every check.

    `values` maps model attributes to values: always day, programme_key, title, starts_at and
    ends_at (UTC), plus the optional columns the row has (an absent column leaves the field alone).
    `warnings` are Indonesian notes that do not refuse the row (a session on a weekend).
    """

    line: int
    code: str | None
    local_start: time
    values: dict[str, object]
    warnings: tuple[str, ...] = ()

    @property
    def day(self) -> date:
        """The session's (local) date."""
        value = self.values["day"]
        assert isinstance(value, date)
        return value

    @property
    def key(self) -> tuple[date, str, datetime]:
        """Date, programme and start: what identifies a session without a kode_sesi."""
        start = self.values["starts_at"]
        assert isinstance(start, datetime)
        return (self.day, str(self.values["programme_key"]), start)

    @property
    def active(self) -> bool:
        """Not cancelled (status aktif, or no status column)."""
        return self.values.get("status", "aktif") == "aktif"


@dataclass(frozen=True)
class HolidayRow:
    """A `libur` row: `day` is off for `reason`, or with `remove` (status batal) no longer off."""

    line: int
    day: date
    reason: str
    remove: bool


def check_row(
    cells: Mapping[str, Cell], *, tz: ZoneInfo, line: int = 0
) -> SessionRow | HolidayRow | list[str]:
    """Check one row (column → raw cell; times in `tz`): the parsed row or its Indonesian errors."""
    errors: list[str] = []
    day = _row_day(cells, errors)
    programme_text = cell_text(cells.get("program"))
    if programme_text.lower() in _HOLIDAY_WORDS:
        return _holiday_row(cells, day, line, errors)
    return _session_row(cells, day, programme_text, tz=tz, line=line, errors=errors)


def _row_day(cells: Mapping[str, Cell], errors: list[str]) -> date | None:
    """The tanggal, checked against the day's name in hari when that is filled."""
    try:
        day = parse_date(cells.get("tanggal"))
    except CellError as exc:
        errors.append(str(exc))
        return None
    errors += _weekday_name_errors(cell_text(cells.get("hari")), day)
    return day


def _weekday_name_errors(name: str, day: date) -> list[str]:
    """A day name that disagrees with the date means one of them is a typo: refuse to guess."""
    if not name:
        return []
    wanted = _WEEKDAY_NUMBERS.get(name.lower().replace("'", ""))
    if wanted is None:
        return [f"hari {name!r} tidak dikenal (isi Senin sampai Minggu, atau kosongkan)"]
    if wanted != day.weekday():
        return [
            f"tanggal {day:%Y-%m-%d} jatuh pada hari {_WEEKDAYS[day.weekday()]}, "
            f"tetapi kolom hari berisi {name}"
        ]
    return []


def _holiday_row(
    cells: Mapping[str, Cell], day: date | None, line: int, errors: list[str]
) -> HolidayRow | list[str]:
    """A `libur` row: its reason from keterangan (else judul); status batal lifts the holiday."""
    reason = cell_text(cells.get("keterangan")) or cell_text(cells.get("judul")) or "Libur"
    status = None
    try:
        status = _status(cells.get("status"))
    except CellError as exc:
        errors.append(str(exc))
    if len(reason) > 200:
        errors.append("keterangan libur terlalu panjang (paling banyak 200 huruf)")
    if errors or day is None:
        return errors
    return HolidayRow(line, day, reason, remove=status == "batal")


def _session_row(
    cells: Mapping[str, Cell],
    day: date | None,
    programme_text: str,
    *,
    tz: ZoneInfo,
    line: int,
    errors: list[str],
) -> SessionRow | list[str]:
    """A session row: every column checked, then its times made UTC."""
    programme = _programme(programme_text, errors)
    absent = [c for c in _SESSION_COLUMNS if c not in cells]
    if absent:
        errors.append(f"kolom {', '.join(absent)} tidak ada di berkas; setiap sesi memerlukannya")
        return errors
    values: dict[str, object] = {"title": _title(cells.get("judul"), errors)}
    start, end = _times(cells, errors)
    code = _session_code(cells.get("kode_sesi"), errors)
    values.update(_optional_values(cells, day, errors))
    if values.get("proof") == "kode" and "kode_presensi" in cells \
            and not values.get("attendance_code"):
        errors.append("bukti kode memerlukan kode_presensi (isi kodenya, atau bukti tombol)")
    if errors or day is None or programme is None or start is None or end is None:
        return errors
    starts_at = _utc(datetime.combine(day, start), tz)
    values.update(day=day, programme_key=programme.key, starts_at=starts_at,
                  ends_at=_utc(datetime.combine(day, end), tz))
    closes = values.get("attendance_closes_at")
    if isinstance(closes, datetime):
        values["attendance_closes_at"] = closes = _utc(closes, tz)
        if closes <= starts_at:
            return ["tutup_presensi harus sesudah jam mulai sesi"]
    return SessionRow(line, code, start, values, _weekday_warnings(day, programme))


def _programme(text: str, errors: list[str]) -> Programme | None:
    programme = find_programme(text) if text else None
    if programme is None:
        names = ", ".join(p.name for p in PROGRAMMES)
        errors.append(
            f"program {text!r} tidak dikenal; isi salah satu: {names}, atau libur"
            if text else f"kolom program kosong; isi salah satu: {names}, atau libur"
        )
    return programme


def _title(cell: Cell, errors: list[str]) -> str:
    title = cell_text(cell)
    if not title:
        errors.append("judul wajib diisi")
    elif len(title) > 200:
        errors.append("judul terlalu panjang (paling banyak 200 huruf)")
    return title


def _times(cells: Mapping[str, Cell], errors: list[str]) -> tuple[time | None, time | None]:
    """mulai and selesai, the end after the start."""
    start = _time_of(cells, "mulai", errors)
    end = _time_of(cells, "selesai", errors)
    if start is not None and end is not None and end <= start:
        errors.append(f"jam selesai ({end:%H:%M}) harus sesudah jam mulai ({start:%H:%M})")
    return start, end


def _time_of(cells: Mapping[str, Cell], column: str, errors: list[str]) -> time | None:
    try:
        return parse_time(cells.get(column))
    except CellError as exc:
        errors.append(f"{column}: {exc}")
        return None


def _session_code(cell: Cell, errors: list[str]) -> str | None:
    code = cell_text(cell) or None
    if code is not None and not _CODE.match(code):
        errors.append(
            f"kode_sesi {code!r} tidak sah: paling banyak 40 huruf atau angka, "
            "boleh memakai tanda - _ ."
        )
    return code


def _optional_values(
    cells: Mapping[str, Cell], day: date | None, errors: list[str]
) -> dict[str, object]:
    """The optional columns the row has, by model attribute (an absent column is left out)."""
    values: dict[str, object] = {}
    for column, (attr, parse) in _OPTIONAL.items():
        if column not in cells:
            continue
        try:
            values[attr] = parse(cells[column], day)
        except CellError as exc:
            errors.append(str(exc))
    return values


_Parse = Callable[[Cell, date | None], object]
"""An optional column's parser: the cell and the row's date (None when that is wrong)."""


def _text_up_to(column: str, limit: int) -> _Parse:
    def parse(cell: Cell, _day: date | None) -> str | None:
        text = cell_text(cell)
        if len(text) > limit:
            raise CellError(f"{column} terlalu panjang (paling banyak {limit} huruf)")
        return text or None

    return parse


def _link(column: str) -> _Parse:
    return lambda cell, _day: parse_url(cell, column)


def _jp(cell: Cell, _day: date | None) -> float:
    return parse_jp(cell)


def _closing_time(cell: Cell, day: date | None) -> datetime | None:
    """tutup_presensi as a naive local time; a bare time is on the session's date."""
    if not cell_text(cell) or day is None:
        return None  # empty, or the date error is reported already
    try:
        return parse_date_time(cell, day)
    except CellError as exc:
        raise CellError(f"tutup_presensi: {exc} (pakai 2026-11-23 12:00 atau 12:00)") from None


def _choice(column: str, words: dict[str, str]) -> _Parse:
    """A column of a few words (empty: None, the default)."""

    def parse(cell: Cell, _day: date | None) -> str | None:
        text = cell_text(cell).lower()
        if not text:
            return None
        if text not in words:
            known = ", ".join(sorted(set(words.values())))
            raise CellError(f"{column} {cell_text(cell)!r} tidak dikenal (isi {known}, "
                            "atau kosongkan)")
        return words[text]

    return parse


_EVALUATION = {"ya": "ya", "y": "ya", "tidak": "tidak", "t": "tidak", "tdk": "tidak",
               "wajib": "wajib"}
_PROOF = {"kode": "kode", "kuis": "kuis", "quiz": "kuis", "tombol": "tombol"}


def _status(cell: Cell, _day: date | None = None) -> str:
    status = _STATUS.get(cell_text(cell).lower())
    if status is None:
        raise CellError(f"status {cell_text(cell)!r} tidak dikenal (isi aktif atau batal)")
    return status


# The optional columns, in the order they are checked, and the model attribute each fills.
# A new column (a quiz link, evaluasi, bukti) is one entry here, and one in COLUMNS.
_OPTIONAL: dict[str, tuple[str, _Parse]] = {
    "narasumber": ("speaker", _text_up_to("narasumber", 200)),
    "tautan_zoom": ("zoom_url", _link("tautan_zoom")),
    "tautan_youtube": ("youtube_url", _link("tautan_youtube")),
    "tautan_rekaman": ("recording_url", _link("tautan_rekaman")),
    "jp": ("jp", _jp),
    "kode_presensi": ("attendance_code", _text_up_to("kode_presensi", 40)),
    "tutup_presensi": ("attendance_closes_at", _closing_time),
    "evaluasi": ("evaluation", _choice("evaluasi", _EVALUATION)),
    "bukti": ("proof", _choice("bukti", _PROOF)),
    "status": ("status", _status),
}


def _weekday_warnings(day: date, programme: Programme) -> tuple[str, ...]:
    """A note when the session is on a weekend or not on its programme's usual weekday."""
    if day.weekday() >= 5:
        return (f"{format_date(day)} jatuh pada akhir pekan",)
    if day.weekday() != programme.weekday:
        return ((
            f"{programme.name} biasanya hari {_WEEKDAYS[programme.weekday]}, "
            f"sedangkan sesi ini hari {_WEEKDAYS[day.weekday()]}"
        ),)
    return ()


def _utc(local: datetime, tz: ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(UTC)

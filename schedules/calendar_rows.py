"""Read the raw rows of a calendar file (CSV, YAML or Excel .xlsx), each with its line number."""

from __future__ import annotations

import csv
import io
import logging
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from pathlib import PurePath
from typing import Any, Literal

import yaml

from schedules.calendar_report import CalendarImportError, RowError
from schedules.calendar_values import Cell

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "REQUIRED",
    "Format",
    "RawRow",
    "decode_text",
    "detect_format",
    "read_rows",
]

log = logging.getLogger(__name__)

Format = Literal["csv", "yaml", "xlsx"]

COLUMNS: tuple[str, ...] = (
    "kode_sesi", "tanggal", "hari", "program", "judul", "narasumber", "mulai", "selesai",
    "jp", "tautan_zoom", "tautan_youtube", "tautan_rekaman", "kode_presensi",
    "tutup_presensi", "status", "keterangan",
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
        value = loader.construct_object(value_node, deep=True)
        if key in IGNORED:
            continue
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


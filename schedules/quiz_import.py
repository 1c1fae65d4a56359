"""The micro-quiz in the calendar: up to three multiple-choice questions per session, from a
`kuis` sheet of the calendar's .xlsx, `kuis:` lists in its YAML, or a file of their own
(`dahar-ngopi jadwal import --kuis FILE`: CSV, YAML or .xlsx keyed by kode_sesi).

Checked like the calendar: every problem with its line number, and nothing is imported
unless everything is right. Each session named in the file gets exactly its questions.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.learning import replace_questions
from db.models import LearningSession
from schedules.calendar_report import CalendarImportError, RowError
from schedules.calendar_rows import Format, decode_text, detect_format
from schedules.calendar_values import Cell, cell_text

__all__ = [
    "MAX_QUESTIONS",
    "QUIZ_COLUMNS",
    "QuizReport",
    "QuizRow",
    "calendar_quiz_rows",
    "check_quiz_row",
    "import_quiz",
    "import_quiz_file",
    "is_quiz_file",
    "read_quiz_rows",
]

MAX_QUESTIONS = 3
QUIZ_COLUMNS = ("kode_sesi", "nomor", "pertanyaan", "pilihan_a", "pilihan_b", "pilihan_c",
                "pilihan_d", "jawaban", "penjelasan")
_OPTIONS = ("pilihan_a", "pilihan_b", "pilihan_c", "pilihan_d")
_LETTERS = "ABCD"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_ALIASES = {"kode": "kode_sesi", "soal": "pertanyaan", "a": "pilihan_a", "b": "pilihan_b",
            "c": "pilihan_c", "d": "pilihan_d", "kunci": "jawaban", "jawaban_benar": "jawaban",
            "pembahasan": "penjelasan", "no": "nomor"}


@dataclass(frozen=True)
class QuizRow:
    """One checked question of a session (`position` from nomor, else the file's order)."""

    line: int
    code: str
    position: int | None
    text: str
    options: list[str]
    answer: int
    explanation: str


@dataclass
class QuizReport:
    """What a quiz import did: sessions and questions (or would do, on a dry run)."""

    sessions: int = 0
    questions: int = 0
    dry_run: bool = False
    codes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """An Indonesian line for the admin."""
        title = "Pratinjau kuis" if self.dry_run else "Kuis berhasil diimpor"
        return f"{title}: {self.questions} soal untuk {self.sessions} sesi."


def _column(name: object) -> str:
    key = "_".join(str(name or "").strip().lstrip("\ufeff").lower().replace("-", " ").split())
    return _ALIASES.get(key, key)


def check_quiz_row(cells: Mapping[str, Cell], *, line: int = 0) -> QuizRow | list[str]:
    """Check one question (column → cell): the parsed row or its Indonesian errors."""
    errors: list[str] = []
    code = cell_text(cells.get("kode_sesi"))
    if not code:
        errors.append("kode_sesi wajib diisi (kuis dicocokkan dengan sesi lewat kodenya)")
    elif not _CODE.match(code):
        errors.append(f"kode_sesi {code!r} tidak sah")
    position = None
    number = cell_text(cells.get("nomor"))
    if number:
        if number not in ("1", "2", "3"):
            errors.append(f"nomor {number!r} tidak sah (isi 1, 2 atau 3)")
        else:
            position = int(number)
    text = cell_text(cells.get("pertanyaan"))
    if not text:
        errors.append("pertanyaan wajib diisi")
    elif len(text) > 300:
        errors.append("pertanyaan terlalu panjang (paling banyak 300 huruf)")
    options = [cell_text(cells.get(c)) for c in _OPTIONS]
    while options and not options[-1]:
        options.pop()
    if len(options) < 2 or not all(options):
        errors.append("isi pilihan_a dan pilihan_b, lalu pilihan_c dan pilihan_d bila perlu, "
                      "tanpa melompati")
    errors += [f"{c} terlalu panjang (paling banyak 150 huruf)"
               for c, o in zip(_OPTIONS, options, strict=False) if len(o) > 150]
    answer_text = cell_text(cells.get("jawaban")).upper().removeprefix("PILIHAN_")
    answer = _LETTERS.find(answer_text) if len(answer_text) == 1 else -1
    if answer < 0:
        errors.append(f"jawaban {cell_text(cells.get('jawaban'))!r} tidak sah (isi huruf A–D)")
    elif answer >= len(options):
        errors.append(f"jawaban {answer_text} menunjuk pilihan yang kosong")
    explanation = cell_text(cells.get("penjelasan"))
    if len(explanation) > 300:
        errors.append("penjelasan terlalu panjang (paling banyak 300 huruf)")
    if errors:
        return errors
    return QuizRow(line, code, position, text, options, answer, explanation)


# --- reading -------------------------------------------------------------------------------


def is_quiz_file(data: bytes, filename: str | None = None) -> bool:
    """Whether a file is a quiz of its own (its header has `pertanyaan`), not a calendar."""
    try:
        fmt = detect_format(data, filename)
    except CalendarImportError:
        return False
    if fmt == "xlsx":
        return False  # a workbook carries its quiz in a `kuis` sheet beside the calendar
    head = decode_text(data[:4000]).lower()
    if fmt == "yaml":
        return "pertanyaan" in head and "judul" not in head
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    return "pertanyaan" in first


def read_quiz_rows(data: bytes, fmt: Format | None = None, filename: str | None = None,
                   ) -> list[tuple[int, dict[str, Cell]]]:
    """The raw questions of a quiz file: (line, cells) of each non-empty row."""
    fmt = fmt or detect_format(data, filename)
    if fmt == "csv":
        return _csv(decode_text(data))
    if fmt == "xlsx":
        return _xlsx(data, sheet_needed=False)
    return _yaml(decode_text(data), inside_sessions=False)


def calendar_quiz_rows(data: bytes, fmt: Format) -> list[tuple[int, dict[str, Cell]]]:
    """The questions a calendar file carries: its `kuis` sheet, or its sessions' `kuis:`."""
    if fmt == "xlsx":
        return _xlsx(data, sheet_needed=True)
    if fmt == "yaml":
        return _yaml(decode_text(data), inside_sessions=True)
    return []


def _table(records: list[tuple[int, list[Cell]]]) -> list[tuple[int, dict[str, Cell]]]:
    if not records:
        return []
    names = [_column(c) for c in records[0][1]]
    unknown = [str(c) for c, n in zip(records[0][1], names, strict=True)
               if n and n not in QUIZ_COLUMNS]
    if unknown:
        raise CalendarImportError([RowError(records[0][0], (
            "kolom kuis tidak dikenal: " + ", ".join(unknown) + ". Kolom yang dikenal: "
            + ", ".join(QUIZ_COLUMNS) + "."))])
    return [(line, {n: c for n, c in zip(names, cells, strict=False) if n})
            for line, cells in records[1:]]


def _csv(text: str) -> list[tuple[int, dict[str, Cell]]]:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        records: list[tuple[int, list[Cell]]] = [(line, list(cells)) for line, cells in
                   enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=sep), start=1)
                   if any(c.strip() for c in cells)]
    except csv.Error as exc:
        raise CalendarImportError([RowError(None, f"Berkas CSV kuis rusak: {exc}")]) from None
    return _table(records)


def _xlsx(data: bytes, *, sheet_needed: bool) -> list[tuple[int, dict[str, Cell]]]:
    import openpyxl  # imported here: loading it costs time that CSV users need not pay

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise CalendarImportError([RowError(None, (
            "Berkas Excel kuis tidak bisa dibaca. Mohon simpan ulang sebagai .xlsx atau CSV."
        ))]) from None
    try:
        sheet = next((ws for ws in book.worksheets if ws.title.strip().lower() == "kuis"), None)
        if sheet is None:
            if sheet_needed:
                return []
            sheet = book.worksheets[0]
        records: list[tuple[int, list[Cell]]] = [
            (line, [c if c is None or isinstance(c, str | int | float) else str(c)
                    for c in values])
                   for line, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                   if any(v is not None and str(v).strip() for v in values)]
    finally:
        book.close()
    return _table(records)


def _yaml(text: str, *, inside_sessions: bool) -> list[tuple[int, dict[str, Cell]]]:
    """Questions from YAML: a list of questions (each with kode_sesi), or, in a calendar,
    `kuis:` lists inside sessions (which then need their kode_sesi)."""
    loader = yaml.BaseLoader(text)
    try:
        root = loader.get_single_node()
        items = _items(root)
        out: list[tuple[int, dict[str, Cell]]] = []
        for item in items:
            if not isinstance(item, yaml.MappingNode):
                continue
            if inside_sessions:
                out += _session_questions(loader, item)
            else:
                out.append(_question(loader, item, None))
        return out
    except yaml.YAMLError:
        raise CalendarImportError([RowError(None, "Berkas YAML kuis tidak bisa dibaca.")]) \
            from None
    finally:
        loader.dispose()


def _items(root: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value.strip().lower() in ("sesi",
                                                                                  "kuis"):
                root = value
                break
    return list(root.value) if isinstance(root, yaml.SequenceNode) else []


def _session_questions(loader: yaml.BaseLoader, session: yaml.MappingNode) -> list[
    tuple[int, dict[str, Cell]]
]:
    code: str | None = None
    quiz: yaml.Node | None = None
    for key, value in session.value:
        name = _column(loader.construct_object(key))
        if name == "kode_sesi" and isinstance(value, yaml.ScalarNode):
            code = value.value
        elif name == "kuis":
            quiz = value
    if quiz is None:
        return []
    if not isinstance(quiz, yaml.SequenceNode):
        raise CalendarImportError([RowError(quiz.start_mark.line + 1, (
            "kuis harus berupa daftar soal (setiap soal diawali tanda '-')"))])
    return [_question(loader, q, code) for q in quiz.value]


def _question(loader: yaml.BaseLoader, node: yaml.Node, code: str | None) -> tuple[
    int, dict[str, Cell]
]:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise CalendarImportError([RowError(line, "setiap soal harus berupa pasangan kolom: "
                                                  "nilai (pertanyaan, pilihan, jawaban)")])
    cells: dict[str, Cell] = {"kode_sesi": code} if code is not None else {}
    for key, value in node.value:
        name = _column(loader.construct_object(key))
        if name == "pilihan" and isinstance(value, yaml.SequenceNode):
            for option, item in zip(_OPTIONS, value.value, strict=False):
                cells[option] = str(loader.construct_object(item, deep=True))
            if len(value.value) > len(_OPTIONS):
                raise CalendarImportError([RowError(line, "paling banyak 4 pilihan (A–D)")])
        elif name in QUIZ_COLUMNS and isinstance(value, yaml.ScalarNode):
            cells[name] = value.value
        else:
            raise CalendarImportError([RowError(line, f"kolom soal tidak dikenal: {name}")])
    return line, cells


# --- importing -----------------------------------------------------------------------------


def _check(raw: list[tuple[int, dict[str, Cell]]]) -> tuple[dict[str, list[QuizRow]],
                                                              list[RowError]]:
    errors: list[RowError] = []
    by_code: dict[str, list[QuizRow]] = {}
    for line, cells in raw:
        parsed = check_quiz_row(cells, line=line)
        if isinstance(parsed, list):
            errors += [RowError(line, message) for message in parsed]
        else:
            by_code.setdefault(parsed.code, []).append(parsed)
    for code, rows in by_code.items():
        if len(rows) > MAX_QUESTIONS:
            errors.append(RowError(rows[MAX_QUESTIONS].line, (
                f"sesi {code} sudah punya {MAX_QUESTIONS} soal; kuis paling banyak "
                f"{MAX_QUESTIONS} soal")))
        numbers = [r.position for r in rows if r.position is not None]
        if len(set(numbers)) != len(numbers):
            errors.append(RowError(rows[-1].line, f"nomor soal sesi {code} dipakai dua kali"))
    return by_code, errors


async def import_quiz(
    db: AsyncSession, raw: list[tuple[int, dict[str, Cell]]], *, dry_run: bool = False,
    planned: frozenset[str] = frozenset(),
) -> QuizReport:
    """Give each session named in the rows exactly its questions; all or nothing (raises
    `CalendarImportError` listing every problem). Runs in the caller's unit of work.
    `planned`: codes a dry run of the same file would add (they count as existing)."""
    by_code, errors = _check(raw)
    named: dict[str, int] = {}  # every well-formed code, with its first line
    for line, cells in raw:
        code = cell_text(cells.get("kode_sesi"))
        if _CODE.match(code):
            named.setdefault(code, line)
    sessions = {s.code: s for s in await db.scalars(
        select(LearningSession).where(LearningSession.code.in_(sorted(named))))}
    errors += [RowError(line, f"kode_sesi {code} tidak ada di jadwal")
               for code, line in named.items() if code not in sessions and code not in planned]
    if errors:
        raise CalendarImportError(errors)
    report = QuizReport(sessions=len(by_code), questions=sum(map(len, by_code.values())),
                        dry_run=dry_run, codes=sorted(by_code))
    if dry_run:
        return report
    for code, rows in by_code.items():
        ordered = sorted(rows, key=lambda r: (r.position or 0, r.line)) \
            if all(r.position for r in rows) else rows
        await replace_questions(db, sessions[code].id, [
            (r.text, r.options, r.answer, r.explanation) for r in ordered])
    return report


async def import_quiz_file(
    db: AsyncSession, data: bytes, *, filename: str | None = None, dry_run: bool = False
) -> QuizReport:
    """Import a quiz file of its own (CSV, YAML or .xlsx keyed by kode_sesi)."""
    raw = read_quiz_rows(data, filename=filename)
    if not raw:
        raise CalendarImportError([RowError(None, "Berkas kuis tidak berisi satu soal pun.")])
    return await import_quiz(db, raw, dry_run=dry_run)

"""What a calendar import did (or why it was refused), with Indonesian summaries for the admin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from core.programme import by_key
from core.timezones import format_date

__all__ = ["MAX_SHOWN", "CalendarImportError", "ImportReport", "RowError", "SessionChange"]

MAX_SHOWN = 30
"""Errors or changes listed in a summary; the rest are counted (a chat message stays short)."""

ChangeKind = Literal["added", "updated", "cancelled", "removed"]

_FIELD_LABELS = {
    "day": "tanggal",
    "programme_key": "program",
    "title": "judul",
    "speaker": "narasumber",
    "starts_at": "jam mulai",
    "ends_at": "jam selesai",
    "zoom_url": "tautan Zoom",
    "youtube_url": "tautan YouTube",
    "recording_url": "tautan rekaman",
    "jp": "JP",
    "attendance_code": "kode presensi",
    "attendance_closes_at": "batas presensi",
    "status": "status",
    "evaluation": "evaluasi",
    "proof": "bukti kehadiran",
}


@dataclass(frozen=True)
class RowError:
    """One problem in the file: the spreadsheet line (header = 1; None = the file as a whole)."""

    line: int | None
    message: str

    def text(self) -> str:
        """'Baris 4: ...' or the bare message for the whole file."""
        return f"Baris {self.line}: {self.message}" if self.line is not None else self.message


class CalendarImportError(Exception):
    """The file was refused as a whole; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line or 0, e.message))
        super().__init__("; ".join(e.text() for e in self.errors[:5]))

    @property
    def lines(self) -> list[tuple[int | None, str]]:
        """The errors as (line, message) pairs."""
        return [(e.line, e.message) for e in self.errors]

    def summary(self, what: str = "Jadwal") -> str:
        """An Indonesian reply for the admin listing what to fix (`what`: Jadwal, Kuis)."""
        n = len(self.errors)
        head = (
            f"{what} tidak diimpor: ada {n} kesalahan. Tidak ada perubahan yang disimpan; "
            "mohon perbaiki berkasnya lalu kirim ulang."
        )
        body = [f"• {e.text()}" for e in self.errors[:MAX_SHOWN]]
        if n > MAX_SHOWN:
            body.append(f"• … dan {n - MAX_SHOWN} kesalahan lain")
        return "\n".join([head, *body])


@dataclass(frozen=True)
class SessionChange:
    """A session the import added, changed, cancelled or removed.

    `fields` names the model attributes that changed; `before`/`after` hold their old and new
    values (for an added session `before` is empty, for a removed one `after` is). The lead uses
    this to tell people already notified and to reschedule reminders.
    """

    kind: ChangeKind
    session_id: int | None
    code: str
    day: date
    programme_key: str
    title: str
    fields: tuple[str, ...] = ()
    before: dict[str, object] = field(default_factory=dict)
    after: dict[str, object] = field(default_factory=dict)
    line: int | None = None

    @property
    def time_moved(self) -> bool:
        """The date or the start or end time changed."""
        return any(f in self.fields for f in ("day", "starts_at", "ends_at"))

    @property
    def link_changed(self) -> bool:
        """The Zoom or YouTube link changed (the recording link is not a meeting link)."""
        return "zoom_url" in self.fields or "youtube_url" in self.fields

    @property
    def cancelled(self) -> bool:
        """The session is now cancelled (or was removed)."""
        return self.kind in ("cancelled", "removed")

    @property
    def reactivated(self) -> bool:
        """A cancelled session is back on (status batal → aktif)."""
        return self.after.get("status") == "aktif" and self.before.get("status") == "batal"

    @property
    def starts_at(self) -> datetime | None:
        """The start time now (or, for a removed session, the start it had)."""
        value = self.after.get("starts_at", self.before.get("starts_at"))
        return value if isinstance(value, datetime) else None

    def describe(self, tz: ZoneInfo) -> str:
        """One Indonesian line: what happened to this session."""
        name = f"{by_key(self.programme_key).name} ({format_date(self.day)}): {self.title}"
        if self.kind == "added":
            return f"Baru: {name}"
        if self.kind == "removed":
            return f"Dihapus: {name}"
        if self.kind == "cancelled":
            return f"Dibatalkan: {name}"
        parts: list[str] = []
        if self.reactivated:
            parts.append("diaktifkan kembali")
        if self.time_moved:
            old, new = self.before.get("starts_at"), self.after.get("starts_at")
            if isinstance(old, datetime) and isinstance(new, datetime):
                parts.append(
                    f"jadwal pindah dari {_when(old, tz)} ke {_when(new, tz)}"
                    if old != new else "jam selesai berubah"
                )
            else:
                parts.append("jadwal berubah")
        rest = [
            _FIELD_LABELS.get(f, f) for f in self.fields
            if f not in ("day", "starts_at", "ends_at", "status")
        ]
        if rest:
            parts.append("diperbarui: " + ", ".join(rest))
        return f"Diubah: {name} ({'; '.join(parts) or 'diperbarui'})"


def _when(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local.day}/{local.month} {local:%H.%M}"


@dataclass
class ImportReport:
    """The outcome of an import (or of a dry run: then nothing was written)."""

    added: int = 0
    updated: int = 0
    cancelled: int = 0
    removed: int = 0
    unchanged: int = 0
    holidays_added: int = 0
    holidays_updated: int = 0
    holidays_removed: int = 0
    changes: list[SessionChange] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None
    dry_run: bool = False
    quiz_sessions: int = 0  # sessions whose quiz the file set (a `kuis` sheet or list)
    quiz_questions: int = 0

    @property
    def total_changes(self) -> int:
        """Sessions and holidays that changed (0 when the file matched the calendar)."""
        return (
            self.added + self.updated + self.cancelled + self.removed
            + self.holidays_added + self.holidays_updated + self.holidays_removed
        )

    def summary(self, tz: ZoneInfo | None = None) -> str:
        """An Indonesian reply for the admin: the counts, then each change."""
        tz = tz or ZoneInfo("Asia/Jakarta")
        span = ""
        if self.first_day and self.last_day:
            span = f" ({format_date(self.first_day)} s.d. {format_date(self.last_day)})"
        if self.total_changes == 0:
            lines = [f"Jadwal sudah sama dengan berkas{span}: tidak ada perubahan."]
        else:
            counts = [
                (self.added, "sesi baru"),
                (self.updated, "sesi diubah"),
                (self.cancelled, "sesi dibatalkan"),
                (self.removed, "sesi dihapus"),
                (self.unchanged, "sesi tetap"),
                (self.holidays_added, "hari libur baru"),
                (self.holidays_updated, "hari libur diubah"),
                (self.holidays_removed, "hari libur dihapus"),
            ]
            text = ", ".join(f"{n} {label}" for n, label in counts if n)
            title = "Pratinjau impor" if self.dry_run else "Jadwal berhasil diimpor"
            lines = [f"{title}{span}: {text}."]
            shown = [c for c in self.changes if c.kind != "added"]
            if shown:
                lines.append("Rincian perubahan:")
                lines += [f"• {c.describe(tz)}" for c in shown[:MAX_SHOWN]]
                if len(shown) > MAX_SHOWN:
                    lines.append(f"• … dan {len(shown) - MAX_SHOWN} perubahan lain")
        if self.quiz_questions:
            lines.append(f"Kuis: {self.quiz_questions} soal untuk {self.quiz_sessions} sesi.")
        if self.warnings:
            lines.append("Catatan:")
            lines += [f"• {w.text()}" for w in self.warnings[:MAX_SHOWN]]
            if len(self.warnings) > MAX_SHOWN:
                lines.append(f"• … dan {len(self.warnings) - MAX_SHOWN} catatan lain")
        return "\n".join(lines)

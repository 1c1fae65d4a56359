"""The FAQ kept in the database: first-start seeding, atomic import, edits, the shared index."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AppMeta, FaqEntryRow
from handlers.faq_entries import (
    EMPTY,
    FaqEntry,
    FaqFormatError,
    default_entries,
    dump_entries,
    load_entries,
)
from handlers.faq_match import FaqIndex

__all__ = [
    "FaqService",
    "ImportReport",
    "delete_entry",
    "faq_version",
    "import_entries",
    "remove_entries",
    "replace_entries",
    "save_entry",
    "seed_if_empty",
    "stored_entries",
    "validate",
]

log = logging.getLogger(__name__)

# Bumped in the same transaction as every change, so each process (the bot, a CLI import)
# sees that its index is stale on the next message.
VERSION_KEY = "faq_version"


def _entry(row: FaqEntryRow) -> FaqEntry:
    return FaqEntry(
        id=row.id, question=row.question, answer=row.answer,
        phrasings=tuple(row.phrasings or ()), keywords=tuple(row.keywords or ()),
    )


def validate(entries: Sequence[FaqEntry]) -> list[FaqEntry]:
    """Check a whole FAQ with the file format's rules (ids, HTML, a phrasing given twice...).

    Raises `FaqFormatError`; the round trip through YAML keeps one set of rules for files,
    chat edits and imports.
    """
    if not entries:
        raise FaqFormatError(EMPTY)
    return load_entries(dump_entries(entries))


async def stored_entries(s: AsyncSession) -> list[FaqEntry]:
    """Every entry in the database, in file order."""
    rows = await s.execute(select(FaqEntryRow).order_by(FaqEntryRow.position, FaqEntryRow.id))
    return [_entry(r) for r in rows.scalars()]


async def _version(s: AsyncSession) -> str:
    row = await s.get(AppMeta, VERSION_KEY)
    return row.value if row is not None else "0"


async def _bump(s: AsyncSession) -> None:
    row = await s.get(AppMeta, VERSION_KEY)
    if row is None:
        s.add(AppMeta(key=VERSION_KEY, value="1"))
    else:
        row.value = str(int(row.value) + 1)
    await s.flush()


@dataclass
class ImportReport:
    """What an import changed: entries of the file added, changed or unchanged; entries not
    in the file kept (an import without --replace) or removed (with it)."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Entries in the FAQ after the import."""
        return len(self.added) + len(self.changed) + self.unchanged + len(self.kept)

    def summary(self) -> str:
        """A few lines for the command line (Indonesian, as the calendar's report)."""
        text = (
            f"FAQ diimpor: {self.total} entri ({len(self.added)} baru, "
            f"{len(self.changed)} diubah, {len(self.removed)} dihapus, {self.unchanged} tetap"
            + (f", {len(self.kept)} tidak ada di berkas, tetap disimpan" if self.kept else "")
            + ")"
        )
        if self.removed:
            text += "\ndihapus: " + ", ".join(self.removed)
        if self.kept:
            text += ("\ntidak ada di berkas, tetap disimpan (--replace akan menghapusnya): "
                     + ", ".join(self.kept))
        return text


def _row_values(e: FaqEntry, position: int) -> dict[str, object]:
    return {
        "position": position, "question": e.question, "answer": e.answer,
        "phrasings": list(e.phrasings), "keywords": list(e.keywords),
    }


def _merged(stored: Sequence[FaqEntry], new: Sequence[FaqEntry]) -> list[FaqEntry]:
    """The stored entries with the file's versions of those it has, then its new ones."""
    by_id = {e.id: e for e in new}
    known = {e.id for e in stored}
    return [by_id.get(e.id, e) for e in stored] + [e for e in new if e.id not in known]


async def import_entries(
    s: AsyncSession, entries: Sequence[FaqEntry], *, now: datetime, by: str | None = None,
    replace: bool = False, dry_run: bool = False,
) -> ImportReport:
    """Add and update the file's entries in the caller's transaction; with `replace`, also
    remove every entry the file lacks (the FAQ becomes the file). Entries not in the file
    are listed in the report either way. Raises `FaqFormatError`, changing nothing."""
    entries = validate(entries)
    stored = await stored_entries(s)
    final = entries if replace else _merged(stored, entries)
    if not replace:
        try:
            final = validate(final)
        except FaqFormatError as exc:
            raise FaqFormatError(
                f"{exc} (pada FAQ setelah impor, yang tetap menyimpan entri yang tidak ada di "
                "berkas; mengganti seluruh FAQ dengan --replace akan menghapusnya)") from None
    rows = {r.id: r for r in (await s.execute(select(FaqEntryRow))).scalars()}
    in_file = {e.id for e in entries}
    report = ImportReport()
    for position, e in enumerate(final):
        row = rows.pop(e.id, None)
        values = _row_values(e, position)
        if row is None:
            report.added.append(e.id)
            if not dry_run:
                s.add(FaqEntryRow(id=e.id, updated_by=by, created_at=now, updated_at=now,
                                  **values))
            continue
        if e.id not in in_file:
            report.kept.append(e.id)
        elif _entry(row) == e:
            report.unchanged += 1
        else:
            report.changed.append(e.id)
            if not dry_run:
                for key, value in values.items():
                    setattr(row, key, value)
                row.updated_by, row.updated_at = by, now
        if not dry_run:
            row.position = position  # order may change without the content
    report.removed = sorted(rows)
    if not dry_run:
        if rows:
            await s.execute(delete(FaqEntryRow).where(FaqEntryRow.id.in_(list(rows))))
        await _bump(s)
    return report


async def replace_entries(
    s: AsyncSession, entries: Sequence[FaqEntry], *, now: datetime, by: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Make the stored FAQ exactly `entries` (validated first) in the caller's transaction."""
    return await import_entries(s, entries, now=now, by=by, replace=True, dry_run=dry_run)


async def remove_entries(s: AsyncSession, ids: Sequence[str]) -> list[str]:
    """Remove these entries (those still there; the FAQ keeps at least one); return which."""
    found = list((await s.execute(
        select(FaqEntryRow.id).where(FaqEntryRow.id.in_(list(ids))))).scalars())
    count = await s.scalar(select(func.count()).select_from(FaqEntryRow)) or 0
    if found and len(found) >= count:
        raise FaqFormatError("the FAQ must keep at least one entry")
    if found:
        await s.execute(delete(FaqEntryRow).where(FaqEntryRow.id.in_(found)))
        await _bump(s)
    return sorted(found)


async def faq_version(s: AsyncSession) -> str:
    """The FAQ's version: it changes with every import and edit."""
    return await _version(s)


async def save_entry(s: AsyncSession, entry: FaqEntry, *, now: datetime, by: str) -> bool:
    """Add or replace one entry, checked against all others; True if it is new."""
    entries = await stored_entries(s)
    positions = {e.id: i for i, e in enumerate(entries)}
    new = entry.id not in positions
    if new:
        entries.append(entry)
    else:
        entries[positions[entry.id]] = entry
    validate(entries)
    row = await s.get(FaqEntryRow, entry.id)
    if row is None:
        last = await s.scalar(select(func.max(FaqEntryRow.position)))
        s.add(FaqEntryRow(id=entry.id, updated_by=by, created_at=now, updated_at=now,
                          **_row_values(entry, (last or 0) + 1)))
    else:
        for key, value in _row_values(entry, row.position).items():
            setattr(row, key, value)
        row.updated_by, row.updated_at = by, now
    await _bump(s)
    return new


async def delete_entry(s: AsyncSession, entry_id: str) -> bool:
    """Remove one entry (never the last one: the FAQ cannot be empty); False if none."""
    count = await s.scalar(select(func.count()).select_from(FaqEntryRow))
    row = await s.get(FaqEntryRow, entry_id)
    if row is None:
        return False
    if (count or 0) <= 1:
        raise FaqFormatError("FAQ harus menyisakan setidaknya satu entri")
    await s.delete(row)
    await _bump(s)
    return True


async def seed_if_empty(s: AsyncSession, now: datetime) -> int:
    """On first start, load the shipped knowledge base (handlers/faq_data/faq.yaml)."""
    if await s.scalar(select(func.count()).select_from(FaqEntryRow)):
        return 0
    report = await replace_entries(s, default_entries(), now=now, by="faq.yaml")
    return report.total


class FaqService:
    """The matcher over the stored FAQ, shared by all handlers and rebuilt when it changed."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._index: FaqIndex | None = None
        self._lock = asyncio.Lock()

    async def index(self, s: AsyncSession) -> FaqIndex | None:
        """The index of the current entries (None if the FAQ is empty)."""
        version = await _version(s)
        if version == self._version:
            return self._index
        async with self._lock:
            if version != self._version:
                entries = await stored_entries(s)
                # Building takes ~150 ms of CPU: keep the event loop free meanwhile.
                self._index = await asyncio.to_thread(FaqIndex, entries) if entries else None
                self._version = version
                log.info("FAQ index built: %d entries (version %s)", len(entries), version)
        return self._index

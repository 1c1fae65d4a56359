"""SQLite backups with the online backup API: a consistent copy while the bot writes."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SQLiteBackupError", "backup_sqlite", "check_sqlite_backup", "restore_sqlite",
           "sqlite_revision"]


class SQLiteBackupError(Exception):
    """The copy failed; the message says why in one line."""


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    # mode=ro never creates a missing file (a typo in DATABASE_URL must not back up nothing).
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise SQLiteBackupError(f"cannot open {path}: {exc}") from None
    try:
        yield conn
    finally:
        conn.close()


def backup_sqlite(database: Path, target: Path) -> None:
    """Copy `database` into `target` (an existing, empty file).

    One backup step copies every page inside one read transaction: the copy is the
    database as of one instant, and in WAL mode the bot's writers are not held up.
    The copy is switched to a rollback journal so that it is a single self-contained file.
    """
    if not database.is_file():
        raise SQLiteBackupError(f"no database at {database}")
    try:
        with _connect(database, read_only=True) as src, _connect(target) as dst:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            _quick_check(dst, target)
    except sqlite3.Error as exc:
        raise SQLiteBackupError(f"backup of {database} failed: {exc}") from None


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    row = conn.execute("PRAGMA quick_check").fetchone()
    if not row or row[0] != "ok":
        raise SQLiteBackupError(f"{path} is damaged: {row[0] if row else 'no answer'}")


def check_sqlite_backup(path: Path) -> None:
    """Refuse a file that is not an intact SQLite database of this bot."""
    try:
        with _connect(path, read_only=True) as conn:
            _quick_check(conn, path)
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
    except sqlite3.Error as exc:
        raise SQLiteBackupError(f"{path} is not a readable SQLite database: {exc}") from None
    if found is None:
        raise SQLiteBackupError(f"{path} is a SQLite database, but not one of this bot")


def sqlite_revision(path: Path) -> str | None:
    """The migration a SQLite backup is at."""
    with _connect(path, read_only=True) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def restore_sqlite(backup: Path, database: Path) -> None:
    """Replace the content of `database` by the backup's, in one step.

    The backup API writes the pages into the live file under its own lock (a copy of
    the file over it would leave a stale WAL beside it); the database keeps WAL mode.
    """
    check_sqlite_backup(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    if not database.exists():
        database.touch(mode=0o600)
    try:
        with _connect(backup, read_only=True) as src, _connect(database) as dst:
            dst.execute("PRAGMA busy_timeout=30000")
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
            _quick_check(dst, database)
    except sqlite3.Error as exc:
        raise SQLiteBackupError(f"restore into {database} failed: {exc}") from None

"""Back up the bot's database (SQLite or PostgreSQL) to one file, readable only by its owner."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from db.backup_pg import PgToolError, dump, find_tool, pg_target
from db.backup_sqlite import SQLiteBackupError, backup_sqlite
from db.engine import create_engine

__all__ = [
    "BackupError",
    "BackupResult",
    "backend",
    "backup_database",
    "file_backend",
    "reason",
    "server_major",
    "sqlite_path",
    "suffix",
]

SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
_MAGIC = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "postgresql"}


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why in one line."""


@dataclass(frozen=True)
class BackupResult:
    """A backup written: where, how big, of which database."""

    path: Path
    size: int
    backend: str
    tool: Path | None = None  # pg_dump, for PostgreSQL


def backend(url: str) -> str:
    """`sqlite` or `postgresql`."""
    name = make_url(url).get_backend_name()
    if name not in SUFFIXES:
        raise BackupError(f"cannot back up a {name} database (SQLite and PostgreSQL only)")
    return name


def suffix(url: str) -> str:
    """The file extension of this database's backups."""
    return SUFFIXES[backend(url)]


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def file_backend(path: Path) -> str:
    """Which database a backup file is of, from its first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    raise BackupError(f"{path} is not a backup of this bot (neither SQLite nor pg_dump custom "
                      "format)")


async def server_major(url: str) -> int:
    """The PostgreSQL server's major version."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            num = int(await conn.scalar(text("SHOW server_version_num")) or 0)
    except (SQLAlchemyError, OSError) as exc:
        raise BackupError(f"cannot reach the database: {reason(exc)}") from None
    finally:
        await engine.dispose()
    return num // 10000


def reason(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's wrapping."""
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines() or [type(inner).__name__]
    return lines[0]


def _create_private(path: Path) -> int:
    """Create `path` for writing with mode 0600, failing if it exists."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    return fd


def _write(url: str, path: Path, pg_dump: Path | None) -> BackupResult:
    """Write the backup under a temporary name beside `path`, then rename it (blocking)."""
    kind = backend(url)
    if path.exists():
        raise BackupError(f"{path} exists; choose another file name")
    # A name of its own: two processes backing up at once each write a whole copy, and
    # the rename keeps one.
    partial = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    try:
        fd = _create_private(partial)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror}") from None
    try:
        try:
            if pg_dump is None:
                os.close(fd)
                backup_sqlite(sqlite_path(url), partial)
            else:
                dump(pg_target(url), pg_dump, fd)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except (SQLiteBackupError, PgToolError) as exc:
        raise BackupError(str(exc)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(path, path.stat().st_size, kind, pg_dump)


async def backup_database(url: str, path: Path) -> BackupResult:
    """Write a consistent backup of the database at `url` to `path` (mode 0600: it holds
    NIPs); `path` is whole or absent, never half-written."""
    pg_dump: Path | None = None
    if backend(url) == "postgresql":
        try:
            major = await server_major(url)
            pg_dump = await asyncio.to_thread(find_tool, "pg_dump", major)
        except PgToolError as exc:
            raise BackupError(str(exc)) from None
    return await asyncio.to_thread(_write, url, path, pg_dump)

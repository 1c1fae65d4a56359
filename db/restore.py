"""Restore a backup into the configured database, then re-apply the erasures made since."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import column, delete, func, inspect, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from db.backup import BackupError, backend, file_backend, reason, server_major, sqlite_path
from db.backup_pg import PgToolError, archive_revision, find_tool, pg_target
from db.backup_pg import restore as pg_restore
from db.backup_sqlite import (
    SQLiteBackupError,
    check_sqlite_backup,
    restore_sqlite,
    sqlite_revision,
)
from db.engine import create_engine, create_sessions, rows_touched
from db.erasure import erase_person
from db.erasures import log_erasure, logged_erasures
from db.heartbeats import alive
from db.migrate import alembic_config, upgrade_async
from db.models import OutboxMessage, Person, ProcessHeartbeat

__all__ = ["Eraser", "RestoreReport", "TargetState", "inspect_target", "restore_database",
           "table_counts"]

# The one erasure function (db.erasure.erase_person, or the bot's, which also rewords the
# admins' notices about the person's questions).
Eraser = Callable[[AsyncSession, Person, datetime], Awaitable[object]]

# Rows in any of these mean the database is in use: restoring over it needs --force.
DATA_TABLES = ("people", "identities", "admins", "attendance", "attendance_audit", "outbox",
               "announcements", "questions", "erasures")


@dataclass
class TargetState:
    """What the database about to be replaced holds."""

    exists: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # every table
    erasures: dict[str, datetime] = field(default_factory=dict)
    running: list[str] = field(default_factory=list)  # live `run`/`worker` processes

    @property
    def has_data(self) -> bool:
        """Whether anything of real use would be overwritten."""
        return any(self.counts.get(name) for name in DATA_TABLES)

    def describe(self) -> str:
        """`12 people, 3,400 outbox rows, ...` for the refusal."""
        shown = [f"{self.counts[n]:,} {n}" for n in DATA_TABLES if self.counts.get(n)]
        return ", ".join(shown[:4])


@dataclass
class RestoreReport:
    """What a restore did."""

    backend: str
    revision: str
    counts: dict[str, int]
    reapplied: list[str]  # erasures the backup did not hold, applied to it
    replaced: bool  # a database with data was overwritten (--force)
    cancelled: int = 0  # messages still to send in the backup, cancelled (--cancel-pending)


def _counts(conn: Connection) -> dict[str, int]:
    names = inspect(conn).get_table_names()
    return {name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in sorted(names)}


async def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the database (alembic_version too)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_counts)
    finally:
        await engine.dispose()


async def inspect_target(url: str, now: datetime) -> TargetState:
    """Read what the target holds without creating it (a missing SQLite file stays so)."""
    if backend(url) == "sqlite" and not sqlite_path(url).exists():
        return TargetState()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            state = TargetState(exists=True, counts=await conn.run_sync(_counts))
        sessions = create_sessions(engine)
        async with sessions() as db:
            if "erasures" in state.counts:
                state.erasures = await logged_erasures(db)
            if "process_heartbeats" in state.counts:
                state.running = [p.name for p in await alive(db, now)]
    except (SQLAlchemyError, OSError) as exc:
        raise BackupError(f"cannot read the database: {reason(exc)}") from None
    finally:
        await engine.dispose()
    return state


async def _reapply(url: str, erasures: Mapping[str, datetime | None], now: datetime,
                   erase: Eraser) -> list[str]:
    """Erase again, with the one erasure function, everyone the restored log lacks."""
    engine = create_engine(url)
    done: list[str] = []
    try:
        sessions = create_sessions(engine)
        async with sessions() as db, db.begin():
            known = await logged_erasures(db)
            for subject, when in erasures.items():
                if subject in known:
                    continue
                person_id = subject.removeprefix("person:")
                person = (await db.get(Person, int(person_id))
                          if subject.startswith("person:") and person_id.isdigit() else None)
                if person is not None:
                    await erase(db, person, when or now)
                else:  # joined after the backup: nothing to erase, but keep the log whole
                    await log_erasure(db, subject, when or now)
                done.append(subject)
    finally:
        await engine.dispose()
    return done


async def _settle(url: str, now: datetime, *, cancel_pending: bool) -> int:
    """Forget the processes the backup saw running (none of them runs on this database),
    and with `cancel_pending` cancel what the backup still had to send; return how many."""
    engine = create_engine(url)
    try:
        async with create_sessions(engine)() as db, db.begin():
            await db.execute(delete(ProcessHeartbeat))
            if not cancel_pending:
                return 0
            result = await db.execute(
                update(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))
                .values(status="cancelled", last_error="cancelled at restore", lease_until=None,
                        claimed_by=None)
                .execution_options(synchronize_session=False))
            return rows_touched(result)
    finally:
        await engine.dispose()


def _check_revision(backup: Path, revision: str | None) -> None:
    """Refuse a backup this release cannot migrate: made by a newer one, or not at all."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = {rev.revision for rev in script.walk_revisions()}
    if revision is None:
        raise BackupError(f"{backup} holds no migration version: not a backup of this bot")
    if revision not in known:
        raise BackupError(f"{backup} was made by a newer release (migration {revision}); "
                          "restore it with that release, or use a backup from before the "
                          "upgrade")


async def _replace(url: str, backup: Path, state: TargetState) -> None:
    if backend(url) == "sqlite":
        await asyncio.to_thread(check_sqlite_backup, backup)
        _check_revision(backup, await asyncio.to_thread(sqlite_revision, backup))
        await asyncio.to_thread(restore_sqlite, backup, sqlite_path(url))
        return
    major = await server_major(url)
    tools = (await asyncio.to_thread(find_tool, "pg_restore", major),
             await asyncio.to_thread(find_tool, "psql", major))
    _check_revision(backup, await asyncio.to_thread(archive_revision, tools[0], backup))
    # Every table of the target goes, in the same transaction as the restore: tables a
    # later release added would otherwise survive and break the migrations that follow.
    drop = [f'"{name}"' for name in state.counts]
    await asyncio.to_thread(pg_restore, pg_target(url), *tools, backup, drop)


async def restore_database(
    url: str, backup: Path, *, now: datetime, force: bool = False,
    erasures: Mapping[str, datetime | None] | None = None, cancel_pending: bool = False,
    erase: Eraser = erase_person,
) -> RestoreReport:
    """Replace the database's content by `backup`, upgrade it to the head migration, and
    re-apply every erasure the backup does not hold: those logged in the database being
    replaced, and `erasures` (subject → when, if known) from elsewhere.

    Messages the backup still had to send are sent when the bot starts (one in flight at
    backup time may go twice), unless `cancel_pending`: an old backup's are mostly stale."""
    kind, made_by = backend(url), file_backend(backup)
    if kind != made_by:
        raise BackupError(f"{backup} is a {made_by} backup but DATABASE_URL is {kind}")
    state = await inspect_target(url, now)
    if state.running:
        raise BackupError(f"the bot is running on this database ({', '.join(state.running)}): "
                          "stop every `run` and `worker` process first")
    if state.has_data and not force:
        raise BackupError(f"the database already holds data ({state.describe()}); add --force "
                          "to replace it (erasures it logged are re-applied to the backup)")
    try:
        await _replace(url, backup, state)
    except (SQLiteBackupError, PgToolError) as exc:
        raise BackupError(str(exc)) from None
    wanted: dict[str, datetime | None] = {**(erasures or {}), **state.erasures}
    try:
        await upgrade_async(url)
        reapplied = await _reapply(url, wanted, now, erase)
        cancelled = await _settle(url, now, cancel_pending=cancel_pending)
    except (SQLAlchemyError, CommandError) as exc:
        # Erasures still to apply must not be forgotten: name them.
        pending = ", ".join(wanted) or "none"
        raise BackupError(f"the backup was restored, but finishing it failed ({reason(exc)}); "
                          "fix that and restore again with --force and --erasures FILE, FILE "
                          f"naming these erasures to re-apply: {pending}") from None
    counts = await table_counts(url)
    revision = await _revision(url)
    return RestoreReport(kind, revision, counts, reapplied, state.has_data, cancelled)


async def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                select(column("version_num")).select_from(table("alembic_version")))
    finally:
        await engine.dispose()
    return str(found or "")

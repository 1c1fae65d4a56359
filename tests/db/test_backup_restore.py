"""Backups and restores on SQLite and PostgreSQL: private files, refusals, erasures kept."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from core.outbox import enqueue
from core.types import Reply
from db.backup import BackupError, backup_database, file_backend
from db.backup_pg import PgToolError, find_tool
from db.engine import create_engine, create_sessions
from db.erasure import erase_person
from db.erasures import logged_erasures, parse_subjects
from db.heartbeats import beat
from db.migrate import alembic_config, upgrade_async
from db.models import Identity, Person
from db.restore import restore_database, table_counts
from tests.auxil.databases import BACKENDS, database, need_pg_tools

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
NIPS = ["198507142010011003", "199001012015032001", "197712312005011002"]
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def _add_people(url: str) -> list[int]:
    """Three registered people with a Telegram identity and a pending message each."""
    engine = create_engine(url)
    try:
        sessions = create_sessions(engine)
        async with sessions() as db, db.begin():
            people = [Person(full_name=f"Peserta {i}", nip=nip, instansi="Dinas Kominfo",
                             tz="WIB", registered_at=NOW, consent_at=NOW, created_at=NOW,
                             preferences={}) for i, nip in enumerate(NIPS)]
            db.add_all(people)
            await db.flush()
            for i, p in enumerate(people):
                db.add(Identity(person_id=p.id, channel="telegram", external_id=str(7000 + i),
                                chat_id=str(7000 + i), created_at=NOW))
                await enqueue(db, key=f"menu:{p.id}", person_id=p.id, channel="telegram",
                              chat_id=str(7000 + i), kind="menu", reply=Reply("Menu hari ini"),
                              now=NOW)
            return [p.id for p in people]
    finally:
        await engine.dispose()


async def _erase(url: str, person_id: int, when: datetime) -> None:
    engine = create_engine(url)
    try:
        async with create_sessions(engine)() as db, db.begin():
            person = await db.get(Person, person_id)
            assert person is not None
            await erase_person(db, person, when)
    finally:
        await engine.dispose()


async def _person(url: str, person_id: int) -> tuple[Person | None, int]:
    """The person and how many identities they have."""
    engine = create_engine(url)
    try:
        async with create_sessions(engine)() as db:
            ids = await db.scalar(select(func.count()).where(Identity.person_id == person_id))
            return await db.get(Person, person_id), int(ids or 0)
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """sqlite, and postgres when DATABASE_URL_PG is set."""
    return str(request.param)


async def _ready(backend: str, url: str) -> None:
    if backend == "postgres":
        await need_pg_tools(url)


async def test_a_backup_is_private_and_restores_into_a_fresh_database(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as source, \
            database(backend, tmp_path, migrated=False) as target:
        await _ready(backend, source)
        await _add_people(source)
        file = tmp_path / "backups" / f"b{'.sqlite3' if backend == 'sqlite' else '.dump'}"
        result = await backup_database(source, file)
        assert result.path == file and result.size == file.stat().st_size > 0
        assert stat.S_IMODE(file.stat().st_mode) == 0o600  # it holds NIPs
        assert not list(file.parent.glob(".*partial"))
        assert file_backend(file) == ("sqlite" if backend == "sqlite" else "postgresql")
        with pytest.raises(BackupError, match="exists"):
            await backup_database(source, file)

        report = await restore_database(target, file, now=NOW)
        assert report.revision == HEAD and not report.replaced and report.reapplied == []
        assert report.counts == await table_counts(source)
        assert report.counts["people"] == 3 and report.counts["outbox"] == 3


async def test_restore_refuses_a_database_with_data_unless_forced(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as source, \
            database(backend, tmp_path, template=template_db) as target:
        await _ready(backend, source)
        file = tmp_path / "empty-backup"
        await backup_database(source, file)  # no people in it
        await _add_people(target)
        with pytest.raises(BackupError, match=r"already holds data \(3 people.*--force"):
            await restore_database(target, file, now=NOW)
        assert (await table_counts(target))["people"] == 3  # untouched
        report = await restore_database(target, file, now=NOW, force=True)
        assert report.replaced and report.counts["people"] == 0
        assert report.counts == await table_counts(source)


async def test_restore_refuses_while_a_bot_process_runs(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as target:
        await _ready(backend, target)
        file = tmp_path / "backup"
        await backup_database(target, file)
        engine = create_engine(target)
        async with create_sessions(engine)() as db, db.begin():
            await beat(db, name="host:42:abc", role="worker", host="host", pid=42,
                       started_at=NOW, now=datetime.now(UTC))
        await engine.dispose()
        with pytest.raises(BackupError, match=r"running on this database \(host:42:abc\)"):
            await restore_database(target, file, now=datetime.now(UTC), force=True)


async def test_restore_reapplies_erasures_made_after_the_backup(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as live:
        await _ready(backend, live)
        first, second, third = await _add_people(live)
        await _erase(live, first, NOW)  # before the backup: the backup holds it
        file = tmp_path / "nightly"
        await backup_database(live, file)
        later = NOW + timedelta(hours=5)
        await _erase(live, second, later)  # after the backup

        # The disaster: the live database is replaced by last night's backup.
        report = await restore_database(live, file, now=NOW + timedelta(days=1), force=True)
        assert report.reapplied == [f"person:{second}"]
        person, identities = await _person(live, second)
        assert person is not None and person.nip is None and person.full_name is None
        assert person.erased_at == later and identities == 0
        kept, kept_ids = await _person(live, third)
        assert kept is not None and kept.nip == NIPS[2] and kept_ids == 1
        engine = create_engine(live)
        async with create_sessions(engine)() as db:
            log = await logged_erasures(db)
        await engine.dispose()
        assert log == {f"person:{first}": NOW, f"person:{second}": later}

        # Restoring the same backup again still erases them (the log came along).
        again = await restore_database(live, file, now=NOW + timedelta(days=2), force=True)
        assert again.reapplied == [f"person:{second}"]
        assert (await _person(live, second))[0].nip is None  # type: ignore[union-attr]


async def test_a_fresh_restore_takes_erasures_from_the_bots_log(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as live, \
            database(backend, tmp_path, migrated=False) as fresh:
        await _ready(backend, live)
        first, second, _ = await _add_people(live)
        file = tmp_path / "nightly"
        await backup_database(live, file)
        # The database is lost; the log lines of the erasures since the backup are not.
        lines = [f"2026-11-23 10:00:01 INFO db.erasures: erasure logged: person:{second}",
                 "2026-11-23 10:00:02 INFO bot.app: something else",
                 "erasure logged: person:999"]  # joined after the backup
        subjects = parse_subjects(lines)
        assert list(subjects) == [f"person:{second}", "person:999"]
        report = await restore_database(fresh, file, now=NOW, erasures=dict(subjects))
        assert report.reapplied == [f"person:{second}", "person:999"]
        assert (await _person(fresh, second))[0].nip is None  # type: ignore[union-attr]
        assert (await _person(fresh, first))[0].nip == NIPS[0]  # type: ignore[union-attr]


async def test_files_of_another_kind_are_refused(tmp_path: Path, template_db: Path) -> None:
    async with database("sqlite", tmp_path, template=template_db) as url:
        text_file = tmp_path / "notes.txt"
        text_file.write_text("not a backup")
        with pytest.raises(BackupError, match="not a backup of this bot"):
            await restore_database(url, text_file, now=NOW)
        dump = tmp_path / "pg.dump"
        dump.write_bytes(b"PGDMP\x01\x0e\x00")
        with pytest.raises(BackupError, match="is a postgresql backup but DATABASE_URL is sqlite"):
            await restore_database(url, dump, now=NOW)
        with pytest.raises(BackupError, match="no database at"):
            await backup_database(f"sqlite+aiosqlite:///{tmp_path}/missing.db", tmp_path / "x")
        assert not (tmp_path / "missing.db").exists()


def _fake_tool(path: Path, version: str) -> Path:
    path.write_text(f"#!/bin/sh\necho '{path.name} (PostgreSQL) {version}'\n")
    path.chmod(0o755)
    return path


def test_the_client_tool_must_match_the_servers_major_version(tmp_path: Path) -> None:
    (tmp_path / "14").mkdir()
    (tmp_path / "15").mkdir()
    old = _fake_tool(tmp_path / "14" / "pg_dump", "14.12 (Debian 14.12-1)")
    right = _fake_tool(tmp_path / "15" / "pg_dump", "15.8")
    assert find_tool("pg_dump", 15, candidates=[old, right]) == right
    with pytest.raises(PgToolError) as refused:
        find_tool("pg_dump", 16, candidates=[old, right])
    message = str(refused.value)
    assert "server is version 16" in message and f"14 ({old})" in message
    assert "must match" in message and "postgresql-client-16" in message
    with pytest.raises(PgToolError, match=r"pg_dump not found: install .*postgresql-client-15"):
        find_tool("pg_dump", 15, candidates=[])


async def test_erasures_made_before_the_log_existed_are_backfilled(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await upgrade_async(url, "0012")
    engine = create_engine(url)
    async with create_sessions(engine)() as db, db.begin():
        db.add_all([Person(tz="WIB", erased_at=NOW, created_at=NOW, preferences={}),
                    Person(full_name="Tetap", tz="WIB", created_at=NOW, preferences={})])
    await engine.dispose()
    await upgrade_async(url)
    engine = create_engine(url)
    async with create_sessions(engine)() as db:
        assert await logged_erasures(db) == {"person:1": NOW}
    await engine.dispose()


async def test_a_damaged_backup_changes_nothing(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as live:
        await _ready(backend, live)
        await _add_people(live)
        file = tmp_path / "nightly"
        await backup_database(live, file)
        damaged = tmp_path / "damaged"
        data = file.read_bytes()
        damaged.write_bytes(data[: len(data) * 2 // 3])  # a copy cut short
        before = await table_counts(live)
        with pytest.raises(BackupError):
            await restore_database(live, damaged, now=NOW, force=True)
        assert await table_counts(live) == before


async def test_a_backup_of_a_newer_release_is_refused_before_anything_changes(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    async with database(backend, tmp_path, template=template_db) as newer, \
            database(backend, tmp_path, template=template_db) as live:
        await _ready(backend, live)
        engine = create_engine(newer)
        async with engine.begin() as conn:  # as a later release would leave it
            await conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        await engine.dispose()
        file = tmp_path / "from-the-future"
        await backup_database(newer, file)
        await _add_people(live)
        before = await table_counts(live)
        with pytest.raises(BackupError, match=r"newer release \(migration 0099\)"):
            await restore_database(live, file, now=NOW, force=True)
        assert await table_counts(live) == before

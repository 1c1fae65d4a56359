"""The restore drill: `dahar-ngopi backup` while `run` delivers, `restore` into a fresh
database, and the restored bot answers /menu."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.runtime import Runtime
from bot.settings import load_settings
from core.clock import FixedClock
from core.outbox import enqueue
from core.types import Reply
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import alembic_config
from db.restore import table_counts
from tests.auxil.databases import BACKENDS, database, need_pg_tools
from tests.auxil.outbox import add_people, status_counts
from tests.auxil.running import running
from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow

# Saturday 28 November 2026, 10:00 WIB: no nudge is due, the outbox holds only the test's.
SATURDAY = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
PEOPLE = 150
FIRST_CHAT = 1000
REPO = Path(__file__).resolve().parents[2]


async def _cli(*args: str, url: str, cwd: Path) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` as an operator would, on the database at `url`."""
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url, "PYTHONPATH": str(REPO),
           "PTB_TIMEDELTA": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


@asynccontextmanager
async def _running(url: str, tg: FakeTelegram, clock: FixedClock) -> AsyncIterator[Runtime]:
    settings = load_settings({"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": tg.token,
                              "TELEGRAM_API_URL": tg.url, "ADMIN_TELEGRAM_IDS": "9001",
                              "TELEGRAM_RATE": "40", "ADMIN_HTTP_PORT": "0"})
    async with running(settings, clock) as rt:
        yield rt


async def _announce(sessions: Sessions, clock: FixedClock) -> None:
    ids = await add_people(sessions, PEOPLE, first_chat=FIRST_CHAT)
    async with sessions() as s, s.begin():
        for i, pid in enumerate(ids):
            await enqueue(s, key=f"drill:{pid}", person_id=pid, channel="telegram",
                          chat_id=str(FIRST_CHAT + i), kind="announcement",
                          reply=Reply("Uji pemulihan cadangan"), now=clock.now())


async def _sent(sessions: Sessions) -> int:
    return (await status_counts(sessions)).get("sent", 0)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_backup_while_delivering_then_restore_and_answer(
    backend: str, tmp_path: Path, template_db: Path
) -> None:
    clock = FixedClock(SATURDAY)
    file = tmp_path / "drill" / ("drill.sqlite3" if backend == "sqlite" else "drill.dump")
    async with database(backend, tmp_path, template=template_db) as source, \
            database(backend, tmp_path, migrated=False) as fresh:
        if backend == "postgres":
            await need_pg_tools(source)
        async with FakeTelegram() as tg, _running(source, tg, clock) as rt:
            await _announce(rt.sessions, clock)
            await tg.wait_until(lambda: len(tg.sent) >= 20, timeout=20)
            before = await _sent(rt.sessions)
            code, out, err = await _cli("backup", "-o", str(file), url=source, cwd=tmp_path)
            after = await _sent(rt.sessions)
            assert code == 0, err
            assert "backup written" in out and stat.S_IMODE(file.stat().st_mode) == 0o600
            assert after < PEOPLE, "the deliveries finished before the backup: not a drill"
            await tg.wait_until(lambda: len(tg.messages_to(FIRST_CHAT + PEOPLE - 1)) == 1,
                                timeout=30)
        source_counts = await table_counts(source)

        code, out, err = await _cli("restore", str(file), url=fresh, cwd=tmp_path)
        assert code == 0, err
        head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
        assert f"migrations at head ({head})" in out and f"{PEOPLE} people" in out
        restored = await table_counts(fresh)
        assert restored.keys() == source_counts.keys()
        assert restored == source_counts  # every table, row for row in number
        engine = create_engine(fresh)
        try:
            in_backup = await status_counts(create_sessions(engine))
        finally:
            await engine.dispose()
        # The copy is of one instant in the middle of the deliveries.
        assert before <= in_backup.get("sent", 0) <= after
        assert sum(in_backup.values()) == PEOPLE and in_backup.get("sent", 0) < PEOPLE

        # A second restore over it refuses without --force.
        code, _, err = await _cli("restore", str(file), url=fresh, cwd=tmp_path)
        assert code == 1 and "already holds data" in err and "--force" in err
        # One line after the database line every command prints; no traceback.
        assert err.count("\n") == 2 and err.startswith("dahar-ngopi: database ")

        # The restored bot answers; what the backup still had to send goes out too.
        async with FakeTelegram() as tg2, _running(fresh, tg2, clock):
            tg2.user_message(FIRST_CHAT, "/menu")
            menu = await tg2.wait_for(
                lambda c: c.chat_id == FIRST_CHAT and "Uji pemulihan" not in (c.text or ""),
                timeout=15)
            assert "Senin, 30 November 2026" in (menu.text or "")

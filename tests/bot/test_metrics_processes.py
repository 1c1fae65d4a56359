"""/metrics across real processes: `dahar-ngopi worker` adds up what other processes counted
into the same PROMETHEUS_MULTIPROC_DIR; without one, each process gets its own, removed at
exit; prometheus-client is not imported before `main` has set the directory."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.clock import SystemClock
from core.outbox import enqueue
from core.types import Reply
from db.engine import Sessions, create_engine, create_sessions
from tests.auxil.metrics import sample, scrape
from tests.auxil.outbox import add_people
from tests.auxil.processes import ROOT, BotProcess, until
from tests.fakes.telegram_server import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SENT = {"channel": "telegram", "kind": "announcement", "outcome": "sent"}


@pytest.fixture
async def sessions_of(db_url: str) -> AsyncIterator[Sessions]:
    """The test's own view of the processes' database."""
    engine = create_engine(db_url)
    yield create_sessions(engine)
    await engine.dispose()


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


async def count_in_child(directory: Path, n: int) -> None:
    """Another process counts `n` sent announcements into `directory` and exits."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bot.metrics_child", str(n), cwd=ROOT,
        env=child_env(PROMETHEUS_MULTIPROC_DIR=str(directory)))
    assert await asyncio.wait_for(proc.wait(), 60) == 0


async def listening_at(worker: BotProcess) -> str:
    """The worker's internal listener (it was given port 0), from its log."""
    found: list[str] = []

    def port() -> bool:
        found[:] = re.findall(r"HTTP server listening on 127\.0\.0\.1:(\d+)", worker.log_text())
        return bool(found)

    await until(port, 60, "the worker's internal listener")
    return f"http://127.0.0.1:{found[0]}"


async def deliver_two(sessions: Sessions) -> None:
    ids = await add_people(sessions, 2, first_chat=4000)
    async with sessions() as db, db.begin():
        for i, pid in enumerate(ids):
            await enqueue(db, key=f"mp:{pid}", person_id=pid, channel="telegram",
                          chat_id=str(4000 + i), kind="announcement",
                          reply=Reply("Pengumuman"), now=SystemClock().now())


def worker_env(db_url: str, tg: FakeTelegram, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
            "ADMIN_HTTP_HOST": "127.0.0.1", "ADMIN_HTTP_PORT": "0", **extra}


async def test_a_worker_adds_up_every_process_sharing_its_directory(
    db_url: str, sessions_of: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    # BotProcess passes the environment on: the operator's shared directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    await count_in_child(shared, 3)  # a process that has ended: its counts stay
    async with FakeTelegram() as tg:
        await deliver_two(sessions_of)
        worker = await BotProcess(tmp_path, "worker", worker_env(db_url, tg),
                                  command="worker").start()
        try:
            url = await listening_at(worker)
            await until(lambda: len(tg.calls_of("sendMessage")) >= 2, 60, "two sends")
            await count_in_child(shared, 4)  # and one counting while the worker runs

            async def adds_up() -> bool:
                return sample(await scrape(url), "dahar_ngopi_messages_total", **SENT) == 9

            await until(adds_up, 30, "3 + 2 + 4 sent announcements")
            assert sample(await scrape(url), "process_resident_memory_bytes") > 10_000_000

            async def leads() -> bool:  # alone on its database
                return sample(await scrape(url), "dahar_ngopi_leader") == 1

            await until(leads, 30, "the worker leads")
        finally:
            await worker.terminate()
    files = sorted(p.name for p in shared.iterdir())
    assert len([f for f in files if f.startswith("counter_")]) >= 3, files  # one per process
    assert "Traceback" not in worker.log_text()


async def test_each_process_gets_its_own_directory_removed_at_exit(
    db_url: str, sessions_of: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    temp = tmp_path / "tmp"
    base = temp / f"dahar-ngopi-metrics-{os.getuid()}"
    stale = base / "999999999-abcd"  # a process that died without cleaning up
    stale.mkdir(parents=True)
    (stale / "counter_999999999.db").write_bytes(b"old")
    async with FakeTelegram() as tg:
        await deliver_two(sessions_of)
        worker = await BotProcess(tmp_path, "worker", worker_env(db_url, tg, TMPDIR=str(temp)),
                                  command="worker").start()
        try:
            url = await listening_at(worker)
            await until(lambda: len(tg.calls_of("sendMessage")) >= 2, 60, "two sends")

            async def counted() -> bool:
                return sample(await scrape(url), "dahar_ngopi_messages_total", **SENT) == 2

            await until(counted, 30, "two sent announcements")
            own = [p for p in base.iterdir() if p.name.startswith(f"{worker.pid}-")]
            assert len(own) == 1 and any(own[0].glob("counter_*.db"))
            assert not stale.exists()
        finally:
            assert await worker.terminate() == 0
    assert list(base.iterdir()) == []


def test_the_command_line_does_not_import_prometheus_before_main() -> None:
    # prometheus-client picks memory or files once, at import: `main` must come first.
    # Everything the command line imports before `main` sets the directory, and more (the
    # composition root, the channels, the outbox worker): the client comes at the first count.
    code = ("import sys, bot.cli, bot.app, bot.runtime; bot.cli._parser(); "
            "print('prometheus_client' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env(),
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

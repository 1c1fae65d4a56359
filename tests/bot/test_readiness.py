"""/healthz and /readyz on the internal listener of `run` and `worker`, against the fake
Telegram server: ready once the channel and the background run, and saying what is not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text

from bot.app import run_channels, run_worker
from bot.http_server import HttpServer
from bot.readiness import Readiness
from bot.runtime import Runtime
from bot.settings import Settings
from bot.telegram.channel import TelegramChannel
from core.clock import FixedClock
from db.engine import create_engine, create_sessions
from db.migrate import head_revision
from tests.auxil.running import Runner, running
from tests.fakes.telegram_server import FakeTelegram


@asynccontextmanager
async def internal(settings: Settings, clock: FixedClock, runner: Runner
                   ) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """`run` or `worker` in this process; a client of its internal listener."""
    async with running(settings, clock, runner) as rt:
        server = rt.extras["admin_server"]
        assert isinstance(server, HttpServer)
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield rt, client


async def test_run_is_ready_and_says_what_stopped(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> None:
    async with FakeTelegram() as tg:
        settings = make_settings({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url})
        async with internal(settings, clock, run_channels) as (rt, client):
            assert (await client.get("/healthz")).json()["status"] == "ok"
            ready = await client.get("/readyz")
            assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
            # The polling loop dies: not ready, and the answer names it.
            channel = rt.channels["telegram"]
            assert isinstance(channel, TelegramChannel) and channel.poller is not None
            task = channel.poller._task
            assert task is not None
            task.cancel()
            await asyncio.sleep(0.05)
            broken = await client.get("/readyz")
            assert broken.status_code == 503
            assert broken.json() == {"status": "not ready",
                                     "failed": {"channel telegram": "polling stopped"}}
            # Alive all the same: an orchestrator must not restart it for that reason.
            assert (await client.get("/healthz")).status_code == 200


async def test_a_worker_is_ready_and_a_schema_behind_is_not(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> None:
    async with FakeTelegram() as tg:
        settings = make_settings({"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url})
        async with internal(settings, clock, run_worker) as (rt, client):
            assert (await client.get("/readyz")).json() == {"status": "ready"}
            async with rt.sessions() as db, db.begin():
                await db.execute(text("UPDATE alembic_version SET version_num = '0012'"))
            behind = await client.get("/readyz")
            assert behind.status_code == 503
            assert behind.json()["failed"] == {
                "migrations": f"at 0012, the code needs {head_revision()}"}


async def test_not_ready_before_start_when_stopping_and_without_a_database(
    runtime: Runtime,
) -> None:
    readiness = Readiness(runtime.sessions, stopping=runtime.stopping)
    assert await readiness.failures() == {}
    readiness.expect("channel telegram", "scheduler and outbox")
    readiness.started("channel telegram")
    assert await readiness.failures() == {"scheduler and outbox": "not started"}
    readiness.started("scheduler and outbox")
    runtime.stopping.set()
    assert await readiness.failures() == {"process": "stopping"}
    # A database that does not answer (nothing listens on port 9).
    engine = create_engine("postgresql+asyncpg://bot:pw@127.0.0.1:9/none")
    try:
        failed = await Readiness(create_sessions(engine)).failures()
    finally:
        await engine.dispose()
    assert list(failed) == ["database"] and failed["database"].startswith("does not answer")

"""Real processes: SIGKILL in the middle of a delivery, and two dispatchers on one database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from core.clock import SystemClock
from core.outbox import Ref, enqueue_audience, payload_body, store_payload
from core.types import Reply
from db.engine import Sessions
from db.models import OutboxMessage
from schedules.audience import recipients
from tests.auxil.outbox import add_people, open_db, status_counts
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
N = 2000
CONCURRENCY = 16


async def seed(sessions: Sessions) -> None:
    await add_people(sessions, N, first_chat=10_000)
    now = SystemClock().now()
    async with sessions() as s, s.begin():
        pid = await store_payload(s, payload_body(Reply("Pengumuman: <b>Uji</b>")), now=now)
    added = await enqueue_audience(
        sessions, audience=recipients(["telegram"]), key_prefix="ann:1:", kind="announcement",
        payload_id=pid, now=now, ref=Ref("announcement", 1))
    assert added == N


async def child(db_url: str, tg: FakeTelegram, name: str, *extra: str
                ) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bot.outbox_child", "--db", db_url, "--api", tg.url,
        "--token", tg.token, "--name", name, "--concurrency", str(CONCURRENCY), *extra,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process) -> dict[str, int]:
    out, _ = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, out
    result: dict[str, int] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def delivered(tg: FakeTelegram) -> Counter[int]:
    return Counter(int(c.chat_id) for c in tg.calls_of("sendMessage") if c.ok and c.chat_id)


async def test_sigkill_in_the_middle_then_restart_delivers_everything(db_url: str) -> None:
    engine, sessions = open_db(db_url)
    try:
        await seed(sessions)
        async with FakeTelegram(record=True) as tg:
            first = await child(db_url, tg, "first", "--rate", "800",
                                "--max-unrecorded", str(CONCURRENCY))
            await tg.wait_until(lambda: tg.requests_by_method["sendMessage"] >= 500, timeout=60)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            assert first.returncode == -signal.SIGKILL
            before = delivered(tg)
            async with sessions() as s:
                in_flight = {int(c) for c in await s.scalars(
                    select(OutboxMessage.chat_id).where(OutboxMessage.status == "sending"))}
            assert 500 <= sum(before.values()) < N  # killed in the middle

            second = await finish(await child(db_url, tg, "second"))
            got = delivered(tg)
        assert set(got) == set(range(10_000, 10_000 + N))  # everyone got it
        twice = {chat for chat, n in got.items() if n > 1}
        # Only rows the killed process had claimed and not yet recorded can be sent again:
        # at most the sends in flight plus the outcomes it had not yet written.
        assert twice <= in_flight
        assert len(twice) <= CONCURRENCY + CONCURRENCY
        assert all(n <= 2 for n in got.values())
        assert second["reclaimed"] == len(in_flight)
        assert await status_counts(sessions) == {"sent": N}
    finally:
        await engine.dispose()


async def test_two_processes_on_one_database_never_send_a_row_twice(db_url: str) -> None:
    engine, sessions = open_db(db_url)
    try:
        await seed(sessions)
        async with FakeTelegram(record=True) as tg:
            # Paced, so that the first cannot drain everything before the second starts
            # on a loaded machine: both must take part for the test to mean anything.
            a = await child(db_url, tg, "run", "--claim-max", "200", "--rate", "300")
            b = await child(db_url, tg, "worker", "--claim-max", "200", "--rate", "300")
            ra, rb = await finish(a), await finish(b)
            got = delivered(tg)
        assert set(got) == set(range(10_000, 10_000 + N)) and max(got.values()) == 1
        assert ra["sent"] + rb["sent"] == N and ra["sent"] > 0 and rb["sent"] > 0
        async with sessions() as s:
            owners = Counter(await s.scalars(select(OutboxMessage.claimed_by)))
        assert set(owners) == {"run", "worker"}
    finally:
        await engine.dispose()

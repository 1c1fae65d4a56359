"""Outbox delivery throughput against the fake Telegram server in its own process.

Compared in the same run with the fastest raw client posting the same requests (aiohttp
with 64 connections: the ceiling; httpx beside it) and with the usual bot code, a loop of
`await bot.send_message`. Rate limits are lifted: this measures our overhead. Run from the
repository root::

    .venv/bin/python -m bench.outbox_throughput --n 20000

Prints a table and a JSON line (copy the figures into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from telegram import Bot

from bench.fake_ceiling import (
    TEXT,
    FakeServer,
    measure_aiohttp,
    measure_httpx,
    server_stats,
    start_fake_server_process,
)
from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from core.clock import SystemClock
from core.outbox import enqueue_audience, payload_body, store_payload
from core.types import Reply
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade
from db.models import Identity, Person
from schedules.audience import recipients

__all__ = ["measure_ceiling", "measure_naive", "measure_outbox", "seed_people"]

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    """One measured way of sending."""

    name: str
    messages: int
    seconds: float
    detail: str = ""
    client_cpu: float | None = None  # CPU seconds of this process (all its threads)
    server_cpu: float | None = None  # CPU seconds of the fake server process

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds else 0.0

    def cpu_us(self, which: float | None) -> str:
        """CPU microseconds per message, as text."""
        return "-" if which is None or not self.messages else f"{which / self.messages * 1e6:,.0f}"


async def seed_people(sessions: Sessions, n: int, *, batch: int = 20_000) -> None:
    """Insert n registered WIB subscribers with a Telegram identity each (executemany)."""
    done = 0
    while done < n:
        size = min(batch, n - done)
        async with sessions() as s, s.begin():
            conn = await s.connection()
            await conn.execute(insert(Person), [
                {"id": done + i + 1, "tz": "WIB", "subscribed": True, "reachable": True,
                 "registered_at": _EPOCH, "created_at": _EPOCH, "preferences": {}}
                for i in range(size)
            ])
            await conn.execute(insert(Identity), [
                {"person_id": done + i + 1, "channel": "telegram",
                 "external_id": str(100_000 + done + i), "chat_id": str(100_000 + done + i),
                 "created_at": _EPOCH}
                for i in range(size)
            ])
        done += size


async def measure_ceiling(server: FakeServer, n: int) -> Result:
    """Raw aiohttp, 64 connections (bench.fake_ceiling), with this process's CPU."""
    cpu = time.process_time()
    m = await measure_aiohttp(server.url, server.token, n, 64, server=server)
    return Result("raw aiohttp (ceiling)", m.requests, m.seconds, "64 connections",
                  time.process_time() - cpu, m.server_cpu_seconds)


async def measure_outbox(
    server: FakeServer, sessions: Sessions, n: int, round_: int, *, concurrency: int = 64,
    claim_max: int = 1000,
) -> tuple[Result, Result]:
    """Plan n messages (INSERT ... SELECT in batches) and deliver them through the
    dispatcher with PTB on AiohttpRequest; return (planning, delivery)."""
    clock = SystemClock()
    start = time.perf_counter()
    async with sessions() as s, s.begin():
        pid = await store_payload(s, payload_body(Reply(f"{TEXT} ({round_})")), now=clock.now())
    planned = await enqueue_audience(
        sessions, audience=recipients(["telegram"]), key_prefix=f"bench{round_}:",
        kind="announcement", payload_id=pid, now=clock.now())
    plan = Result("plan (INSERT ... SELECT)", planned, time.perf_counter() - start)
    bot = Bot(server.token, base_url=f"{server.url}/bot",
              request=AiohttpRequest(connection_pool_size=concurrency, pool_timeout=60))
    await bot.initialize()
    dispatcher = OutboxWorker(
        sessions, clock, [TelegramSender(bot)],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=WorkerConfig(concurrency=concurrency, claim_max=claim_max,
                                lease=timedelta(minutes=5)),
    )
    cpu, server_cpu = time.process_time(), server.cpu_seconds()
    start = time.perf_counter()
    await dispatcher.run_until_idle(limit=3600)
    seconds = time.perf_counter() - start
    cpu, server_end = time.process_time() - cpu, server.cpu_seconds()
    await bot.shutdown()
    if dispatcher.stats.sent != n:
        raise RuntimeError(f"outbox sent {dispatcher.stats.sent} of {n}")
    used = server_end - server_cpu if server_end is not None and server_cpu is not None else None
    detail = f"{concurrency} in flight, claims of up to {claim_max}"
    return plan, Result("outbox dispatcher", n, seconds, detail, cpu, used)


async def measure_naive(server: FakeServer, n: int) -> Result:
    """The usual bot code: `for chat in chats: await bot.send_message(...)` (PTB defaults)."""
    async with Bot(server.token, base_url=f"{server.url}/bot") as bot:
        cpu = time.process_time()
        start = time.perf_counter()
        for i in range(n):
            await bot.send_message(100_000 + i, TEXT, parse_mode="HTML")
        seconds = time.perf_counter() - start
    return Result("naive await loop", n, seconds, "PTB default HTTPXRequest, one at a time",
                  time.process_time() - cpu)


async def _main(
    n: int, naive_n: int, repeat: int, concurrency: int, claim_max: int
) -> tuple[list[Result], list[float]]:
    """Ceiling, then (outbox, ceiling) `repeat` times, then httpx and the naive loop.

    The machine may be shared: each outbox run is compared with the mean of the ceilings
    measured just before and just after it.
    """
    results: list[Result] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, start_fake_server_process() as server:
        db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, db_url)
        engine = create_engine(db_url)
        sessions = create_sessions(engine)
        await seed_people(sessions, n)
        # As `dahar-ngopi run` does once started: what exists now stays (bot/app.py).
        gc.collect()
        gc.freeze()
        ceiling = await measure_ceiling(server, n)
        results.append(ceiling)
        for round_ in range(1, repeat + 1):
            plan, outbox = await measure_outbox(server, sessions, n, round_,
                                                concurrency=concurrency, claim_max=claim_max)
            after = await measure_ceiling(server, n)
            results += [outbox, plan, after]
            ratios.append(outbox.rate / ((ceiling.rate + after.rate) / 2))
            ceiling = after
        await engine.dispose()
        small = min(n, 3000)
        for conns in (64, 1):
            cpu = time.process_time()
            m = await measure_httpx(server.url, server.token, small, conns, server=server)
            results.append(Result(f"raw httpx ({conns} conn)", m.requests, m.seconds, "",
                                  time.process_time() - cpu, m.server_cpu_seconds))
        results.append(await measure_naive(server, naive_n))
        stats = server_stats(server.url)
    results.append(Result("server", stats["by_method"].get("sendMessage", 0), 0.0,
                          "sendMessage calls counted by the fake"))
    return results, ratios


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print a table and a JSON line."""
    parser = argparse.ArgumentParser(description="Outbox throughput vs raw clients")
    parser.add_argument("--n", type=int, default=20_000, help="messages per outbox/ceiling run")
    parser.add_argument("--naive", type=int, default=1_000, help="messages for the naive loop")
    parser.add_argument("--repeat", type=int, default=3, help="outbox runs, each between ceilings")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--claim-max", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    results, ratios = asyncio.run(
        _main(args.n, args.naive, args.repeat, args.concurrency, args.claim_max))
    row = "{:<26} {:>8} {:>8} {:>8} {:>12} {:>12}  {}"
    print(row.format("way", "messages", "seconds", "msg/s", "client us/msg", "server us/msg",
                     "detail"))
    for r in results:
        print(row.format(r.name, r.messages, f"{r.seconds:.2f}", f"{r.rate:,.0f}",
                         r.cpu_us(r.client_cpu), r.cpu_us(r.server_cpu), r.detail))
    print("outbox / ceiling (mean of the ceilings around each run): "
          + ", ".join(f"{x:.0%}" for x in ratios)
          + f"; median {statistics.median(ratios):.0%}")
    payload: dict[str, Any] = {
        "n": args.n, "naive_n": args.naive, "cpus": os.cpu_count(),
        "ratios": [round(x, 3) for x in ratios],
        "results": [{"name": r.name, "messages": r.messages, "seconds": round(r.seconds, 3),
                     "rate": round(r.rate), "client_cpu": r.client_cpu,
                     "server_cpu": r.server_cpu} for r in results],
    }
    print(json.dumps(payload))


if __name__ == "__main__":
    main()

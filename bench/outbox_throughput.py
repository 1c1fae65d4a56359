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
import json
import os
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
from bot.clock import SystemClock
from bot.dispatcher import ChannelLimits, DispatcherConfig, OutboxDispatcher
from bot.outbox import enqueue_audience, payload_body, store_payload
from bot.telegram_request import AiohttpRequest
from bot.telegram_send import TelegramSender
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade
from db.models import Identity, Person
from handlers.types import Reply
from schedules.audience import recipients

__all__ = ["measure_naive", "measure_outbox", "seed_people"]

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    """One measured way of sending."""

    name: str
    messages: int
    seconds: float
    detail: str = ""

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds else 0.0


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


async def measure_outbox(server: FakeServer, db_url: str, n: int, *, concurrency: int = 64,
                         claim_max: int = 1000) -> tuple[Result, Result]:
    """Plan n messages (one INSERT ... SELECT per batch) and deliver them through the
    dispatcher with PTB on AiohttpRequest; return (planning, delivery)."""
    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    clock = SystemClock()
    await seed_people(sessions, n)
    start = time.perf_counter()
    async with sessions() as s, s.begin():
        pid = await store_payload(s, payload_body(Reply(TEXT)), now=clock.now())
    planned = await enqueue_audience(
        sessions, audience=recipients(["telegram"]), key_prefix="bench:", kind="announcement",
        payload_id=pid, now=clock.now())
    plan = Result("plan (INSERT ... SELECT)", planned, time.perf_counter() - start)
    bot = Bot(server.token, base_url=f"{server.url}/bot",
              request=AiohttpRequest(connection_pool_size=concurrency, pool_timeout=60))
    await bot.initialize()
    dispatcher = OutboxDispatcher(
        sessions, clock, [TelegramSender(bot)],
        limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
        config=DispatcherConfig(concurrency=concurrency, claim_max=claim_max,
                                lease=timedelta(minutes=5)),
    )
    start = time.perf_counter()
    await dispatcher.run_until_idle(limit=3600)
    seconds = time.perf_counter() - start
    await bot.shutdown()
    await engine.dispose()
    if dispatcher.stats.sent != n:
        raise RuntimeError(f"outbox sent {dispatcher.stats.sent} of {n}")
    detail = f"{concurrency} in flight, claims of up to {claim_max}"
    return plan, Result("outbox dispatcher", n, seconds, detail)


async def measure_naive(server: FakeServer, n: int) -> Result:
    """The usual bot code: `for chat in chats: await bot.send_message(...)` (PTB defaults)."""
    async with Bot(server.token, base_url=f"{server.url}/bot") as bot:
        start = time.perf_counter()
        for i in range(n):
            await bot.send_message(100_000 + i, TEXT, parse_mode="HTML")
        seconds = time.perf_counter() - start
    return Result("naive await loop", n, seconds, "PTB default HTTPXRequest, one at a time")


async def _main(n: int, naive_n: int, concurrency: int, claim_max: int) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, start_fake_server_process() as server:
        db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, db_url)
        ceiling = await measure_aiohttp(server.url, server.token, n, 64, server=server)
        results.append(Result("raw aiohttp (ceiling)", ceiling.requests, ceiling.seconds,
                              "64 connections"))
        plan, outbox = await measure_outbox(server, db_url, n, concurrency=concurrency,
                                            claim_max=claim_max)
        results += [outbox, plan]
        fast_httpx = await measure_httpx(server.url, server.token, min(n, 5000), 1,
                                         server=server)
        results.append(Result("raw httpx", fast_httpx.requests, fast_httpx.seconds,
                              "1 connection (its best)"))
        results.append(await measure_naive(server, naive_n))
        stats = server_stats(server.url)
    results.append(Result("server", stats["by_method"].get("sendMessage", 0), 0.0,
                          "sendMessage calls counted by the fake"))
    return results


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print a table and a JSON line."""
    parser = argparse.ArgumentParser(description="Outbox throughput vs raw clients")
    parser.add_argument("--n", type=int, default=20_000, help="messages for outbox and ceiling")
    parser.add_argument("--naive", type=int, default=2_000, help="messages for the naive loop")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--claim-max", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    results = asyncio.run(_main(args.n, args.naive, args.concurrency, args.claim_max))
    ceiling = results[0].rate
    row = "{:<26} {:>8} {:>8} {:>10} {:>9}  {}"
    print(row.format("way", "messages", "seconds", "msg/s", "ceiling", "detail"))
    for r in results:
        share = f"{r.rate / ceiling:.0%}" if r.seconds and ceiling else "-"
        print(row.format(r.name, r.messages, f"{r.seconds:.2f}", f"{r.rate:,.0f}", share,
                         r.detail))
    payload: dict[str, Any] = {
        "n": args.n, "naive_n": args.naive, "cpus": os.cpu_count(),
        "results": [{"name": r.name, "messages": r.messages, "seconds": round(r.seconds, 3),
                     "rate": round(r.rate)} for r in results],
    }
    print(json.dumps(payload))


if __name__ == "__main__":
    main()

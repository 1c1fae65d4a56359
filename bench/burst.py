"""The webinar moment: thousands send /menu at once. Our bot beside a bare python-telegram-bot.

The fake Telegram Bot API runs in its own process and times every answer: from the moment an
update is queued (available to getUpdates) to the moment the first sendMessage to its chat
arrives (`--time-answers`). Both bots run in this process, one after the other, against the
same fake, long polling:

- **ours**: `dahar-ngopi run` as `bot.app.run_channels` starts it (every update stored in the
  database before it is confirmed, handled from the store, the whole core: account, menu from
  the calendar, one unit of work per message; the scheduler and the outbox running beside),
  with N registered people, on SQLite or PostgreSQL;
- **bare**: a python-telegram-bot Application that answers /menu with a fixed text
  (64 concurrent updates, the aiohttp request backend, no rate limiter, nothing stored).

Measured: a burst (N people, one /menu each, queued at once): answers per second and the
time to answer (p50, p95, max); a steady rate (default 100 per second for 20 s): p95.

    .venv/bin/python -m bench.burst [--people 5000] [--database-url postgresql+asyncpg://…]

The clock of our bot is shifted to Thursday 10 December 2026, 08:00 WIB (a session of the
sample calendar that day), so /menu shows the same thing whatever day the bench runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.fake_ceiling import FakeServer, server_stats, start_fake_server_process
from bot.app import run_channels
from bot.runtime import Runtime, build_runtime
from bot.settings import load_settings
from bot.telegram.request import AiohttpRequest
from db.models import Identity, Person

FIRST_USER = 800_000_000
WARM_UP = 200
# Thursday 10 December 2026, 08:00 WIB: ASN Belajar has a session that day (sample calendar).
THURSDAY = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
BARE_TEXT = (
    "📅 <b>Menu Dahar Ngopi — Kamis, 10 Desember 2026</b>\n\n<b>ASN Belajar</b>\n"
    "Kecerdasan Artifisial untuk Administrasi Perkantoran\nNarasumber: Dimas Ardiansyah, "
    "S.Kom., M.Kom.\n🕘 09.00–12.00 WIB · 3 JP\n🔗 Zoom: https://zoom.us/j/90378707117\n"
    "▶️ YouTube: https://www.youtube.com/@bpsdmjatim"
)


class ShiftedClock:
    """Real time, moved to `start`: it runs from there at the real pace."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        """The shifted time."""
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


# --- the fake's side -------------------------------------------------------------------


async def _inject(http: aiohttp.ClientSession, url: str, users: list[int]) -> None:
    for i in range(0, len(users), 2000):
        body = [{"user_id": u, "text": "/menu", "first_name": "Peserta"}
                for u in users[i:i + 2000]]
        async with http.post(f"{url}/__inject", json=body) as resp:
            if resp.status != 200:
                raise RuntimeError(f"inject failed: {resp.status}")
            await resp.read()


async def _collect(http: aiohttp.ClientSession, url: str, found: list[tuple[float, float]],
                   n: int, limit: float) -> None:
    """Gather the fake's answer times until `n` more arrived."""
    deadline = time.monotonic() + limit
    want = len(found) + n
    while len(found) < want:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{want - len(found)} of {n} not answered within {limit} s")
        await asyncio.sleep(0.1)
        async with http.get(f"{url}/__answer_times") as resp:
            found += [tuple(p) for p in (await resp.json())["result"]]  # type: ignore[misc]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def burst(http: aiohttp.ClientSession, url: str, users: list[int]) -> dict[str, Any]:
    """Every user sends /menu at once; answers per second and time to answer."""
    found: list[tuple[float, float]] = []
    cpu = time.process_time()
    start = time.monotonic()
    await _inject(http, url, users)
    queued_in = time.monotonic() - start
    await _collect(http, url, found, len(users), 600)
    cpu = time.process_time() - cpu
    first = min(q for q, _ in found)
    last = max(q + lag for q, lag in found)
    lags = [lag for _, lag in found]
    return {
        "people": len(users), "queued_in_s": round(queued_in, 2),
        "drained_in_s": round(last - first, 2), "per_s": round(len(users) / (last - first)),
        "p50_ms": _ms(_pct(lags, 50)), "p95_ms": _ms(_pct(lags, 95)), "max_ms": _ms(max(lags)),
        "bot_cpu_ms_per_message": round(cpu / len(users) * 1000, 2),
    }


async def steady(http: aiohttp.ClientSession, url: str, users: list[int], rate: float
                 ) -> dict[str, Any]:
    """`rate` users a second send /menu, a few every 10 ms, on schedule."""
    found: list[tuple[float, float]] = []
    start = time.monotonic()
    sent = 0
    while sent < len(users):
        due = min(len(users), int((time.monotonic() - start) * rate) + 1)
        if due > sent:
            await _inject(http, url, users[sent:due])
            sent = due
        await asyncio.sleep(0.01)
    offered = len(users) / (time.monotonic() - start)
    await _collect(http, url, found, len(users), 120)
    lags = [lag for _, lag in sorted(found)]
    half = len(lags) // 2
    return {
        "messages": len(users), "offered_per_s": round(offered, 1),
        "p50_ms": _ms(_pct(lags, 50)), "p95_ms": _ms(_pct(lags, 95)),
        "p99_ms": _ms(_pct(lags, 99)), "max_ms": _ms(max(lags)),
        "p95_first_half_ms": _ms(_pct(lags[:half], 95)),
        "p95_second_half_ms": _ms(_pct(lags[half:], 95)),
    }


async def _measure(server: FakeServer, people: int, rate: float, seconds: int
                   ) -> dict[str, Any]:
    users = [FIRST_USER + i for i in range(people)]
    steady_users = [FIRST_USER + people + i for i in range(int(rate * seconds))]
    async with aiohttp.ClientSession() as http:
        await _inject(http, server.url, [FIRST_USER - 1 - i for i in range(WARM_UP)])
        await _collect(http, server.url, [], WARM_UP, 120)
        load = os.getloadavg()[0]
        result = {"load_before": round(load, 2), "burst": await burst(http, server.url, users)}
        await asyncio.sleep(1.0)
        result["steady"] = await steady(http, server.url, steady_users, rate)
        result["load_after"] = round(os.getloadavg()[0], 2)
    return result


# --- the bare bot ----------------------------------------------------------------------


async def run_bare(server: FakeServer, people: int, rate: float, seconds: int
                   ) -> dict[str, Any]:
    """A bare python-telegram-bot answering /menu with a fixed text."""

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(BARE_TEXT, parse_mode=ParseMode.HTML)

    app = (Application.builder().token(server.token).base_url(f"{server.url}/bot")
           .request(AiohttpRequest(connection_pool_size=128))
           .get_updates_request(AiohttpRequest(connection_pool_size=2, read_timeout=30))
           .concurrent_updates(64).build())
    app.add_handler(CommandHandler("menu", menu))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(timeout=10, poll_interval=0)
        await app.start()
        try:
            return await _measure(server, people, rate, seconds)
        finally:
            await app.updater.stop()
            await app.stop()


# --- our bot ---------------------------------------------------------------------------


async def seed(rt: Runtime, people: int, first: int) -> None:
    """`people` registered people on Telegram (ids `first`, `first + 1`, ...)."""
    now = datetime.now(UTC)
    for start in range(0, people, 5000):
        chunk = range(start, min(people, start + 5000))
        async with rt.sessions() as s, s.begin():
            ids = (await s.execute(insert(Person).returning(Person.id), [
                {"full_name": f"Peserta {i}", "instansi": "Dinas Uji", "region_code": "3515",
                 "tz": "WIB", "consent_at": now, "registered_at": now, "subscribed": True,
                 "reachable": True, "preferred_channel": "telegram",
                 # No nudges: the outbox stays idle, so only answers are measured.
                 "preferences": {"menu": False, "reminder": False},
                 "created_at": now} for i in chunk])).scalars().all()
            await s.execute(insert(Identity), [
                {"person_id": pid, "channel": "telegram", "external_id": str(first + i),
                 "chat_id": str(first + i), "created_at": now}
                for pid, i in zip(ids, chunk, strict=True)])


@contextlib.asynccontextmanager
async def database(url: str | None) -> AsyncIterator[str]:
    """A fresh database: a SQLite file, or a new database on the PostgreSQL server `url`."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="bench-burst-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"bench_burst_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name}"))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


async def run_ours(server: FakeServer, people: int, rate: float, seconds: int,
                   db_url: str) -> dict[str, Any]:
    """`dahar-ngopi run` on a fresh database with the people registered."""
    settings = load_settings({
        "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_URL": server.url, "CALLBACK_SECRET": "bench-secret-" + "x" * 20,
        "LOG_LEVEL": "WARNING", "HTTP_PORT": "0",
    })
    rt = await build_runtime(settings, ShiftedClock(THURSDAY))
    await seed(rt, people + int(rate * seconds), FIRST_USER)
    await seed(rt, WARM_UP, FIRST_USER - WARM_UP)
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_channels(rt, stop=stop, started=started))
    try:
        await asyncio.wait_for(started.wait(), 60)
        result = await _measure(server, people, rate, seconds)
        result["database"] = make_url(db_url).get_backend_name()
        return result
    finally:
        stop.set()
        await task
        await rt.close()
        gc.unfreeze()


async def _both(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    runs: list[tuple[str, Callable[[FakeServer], Awaitable[dict[str, Any]]]]] = []
    if "bare" in args.bots:
        runs.append(("bare", lambda s: run_bare(s, args.people, args.rate, args.seconds)))
    if "ours" in args.bots:

        async def ours(s: FakeServer) -> dict[str, Any]:
            async with database(args.database_url) as url:
                return await run_ours(s, args.people, args.rate, args.seconds, url)

        runs.append(("ours", ours))
    for name, run in runs:
        with start_fake_server_process(time_answers=True) as server:
            results[name] = await run(server)
            results[name]["fake"] = server_stats(server.url)["by_method"]
    if "bare" in results and "ours" in results:
        results["ours_vs_bare"] = round(
            results["ours"]["burst"]["per_s"] / results["bare"]["burst"]["per_s"], 2)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the bots one after the other; print the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0, help="steady messages per second")
    parser.add_argument("--seconds", type=int, default=20, help="of the steady rate")
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--bots", default="bare,ours")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(_both(args))
    out = json.dumps(results, indent=2)
    print(out)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

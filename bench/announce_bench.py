"""Benchmarks of announcements against the fake Telegram server in its own process.

Run from the repository root (figures go to docs/benchmarks-announcements.md)::

    .venv/bin/python -m bench.announce_bench throughput --n 100000
    .venv/bin/python -m bench.announce_bench ratelimit --seconds 180
    .venv/bin/python -m bench.announce_bench create --n 1000000

throughput: 100,000 recipients with every limit lifted, beside the fastest raw clients
(aiohttp and httpx, 64 connections) in the same run against the same server.
ratelimit: TELEGRAM_RATE=30 against a fake that answers 429 beyond 30 calls in any sliding
second; an announcement to 100,000 runs while the morning menu and a session reminder fall
due (the real NudgePlanner plans them): the achieved rate over 2 minutes, the share of 429s,
and how late the first menu and reminder messages went out.
create: the time and peak memory (RSS) of creating an announcement for 1,000,000 people.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from telegram import Bot

from bench.fake_ceiling import (
    measure_aiohttp,
    measure_httpx,
    measure_ptb,
    server_stats,
    start_fake_server_process,
)
from bot.outbox_worker import ChannelLimits, OutboxWorker, WorkerConfig
from bot.runtime import core_config
from bot.settings import load_settings
from bot.telegram.request import AiohttpRequest
from bot.telegram.send import TelegramSender
from core.callbacks import Signer
from core.clock import Clock
from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade
from db.models import Announcement, LearningSession, OutboxMessage
from db.regions import load_regions
from schedules.announcements import confirm, create_announcement, figures, start_due
from schedules.announcer import Announcer
from schedules.calendar import ensure_programmes
from schedules.nudges import NudgeConfig
from schedules.scheduler import NudgePlanner
from schedules.segments import Segment
from tests.auxil.channels import CHANNELS

ADMIN_CHAT = "9001"
TEXT = ("📣 <b>Pengumuman BPSDM Jatim</b>\nSesi <i>ASN Belajar</i> hari Kamis diundur ke pukul "
        "13.00 WIB. Terima kasih.")


def make_db(path: Path, n: int) -> str:
    """A migrated SQLite database with `n` registered subscribers on Telegram."""
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    con = sqlite3.connect(path)
    stamp = "2026-01-01 00:00:00.000000"
    batch = 50_000
    for start in range(1, n + 1, batch):
        ids = range(start, min(start + batch, n + 1))
        con.executemany(
            "INSERT INTO people (id, tz, subscribed, reachable, registered_at, created_at, "
            "preferences, preferred_channel, instansi, region_code) "
            "VALUES (?, 'WIB', 1, 1, ?, ?, '{}', 'telegram', ?, ?)",
            [(i, stamp, stamp, f"Dinas {i % 40}", "3578" if i % 10 else "3515") for i in ids])
        con.executemany(
            "INSERT INTO identities (person_id, channel, external_id, chat_id, created_at) "
            "VALUES (?, 'telegram', ?, ?, ?)",
            [(i, str(100_000 + i), str(100_000 + i), stamp) for i in ids])
        con.commit()
    con.close()
    return url


class OffsetClock:
    """Real time moving at real speed, shifted to start at a chosen instant."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


async def new_announcement(sessions: Sessions, now: datetime, *, progress: bool) -> int:
    async with sessions() as s, s.begin():
        ann = await create_announcement(s, created_by="bench", person_id=None, text=TEXT,
                                        media=None, now=now, segment=Segment())
        await confirm(s, ann.id, at=now, now=now, audience=0,
                      progress=("telegram", ADMIN_CHAT, None) if progress else None)
        return ann.id


async def wait_drained(sessions: Sessions, ann_id: int, limit: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        async with sessions() as s:
            fig = await figures(s, ann_id)
        if not fig.pending and fig.total:
            return time.perf_counter() - start
        await asyncio.sleep(0.5)
    raise TimeoutError("announcement not delivered in time")


def settings_for(url: str, db_url: str, token: str, rate: float) -> Any:
    return load_settings({"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": token,
                          "TELEGRAM_API_URL": url, "TELEGRAM_RATE": str(rate)})


# --- throughput ----------------------------------------------------------------------


async def _throughput(n: int, raw_n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, start_fake_server_process() as server:
        db_url = await asyncio.to_thread(make_db, Path(tmp) / "bench.db", n)
        engine = create_engine(db_url)
        sessions = create_sessions(engine)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        ann_id = await new_announcement(sessions, now, progress=False)
        await start_due(sessions, now=now, channels=[CHANNELS["telegram"]], only=ann_id)
        created = time.perf_counter() - t0
        request = AiohttpRequest(connection_pool_size=64, pool_timeout=60)
        async with Bot(server.token, base_url=f"{server.url}/bot", request=request) as bot:
            dispatcher = OutboxWorker(
                sessions, _SystemClock(), [TelegramSender(bot)],
                limits={"telegram": ChannelLimits(rate=None, chat_rate=None)},
                config=WorkerConfig(concurrency=64, claim_max=2000),
            )
            cpu0 = server.cpu_seconds()
            dispatcher.start()
            seconds = await wait_drained(sessions, ann_id, limit=3600)
            await dispatcher.stop()
            cpu1 = server.cpu_seconds()
        async with sessions() as s:
            fig = await figures(s, ann_id)
        stats = server_stats(server.url)
        raw = [await measure_aiohttp(server.url, server.token, raw_n, 64, server=server),
               await measure_httpx(server.url, server.token, raw_n, 64, server=server),
               await measure_ptb(server.url, server.token, raw_n, 64, server=server)]
        await engine.dispose()
    return {
        "recipients": n, "create_seconds": round(created, 2),
        "deliver_seconds": round(seconds, 1), "sent": fig.sent, "failed": fig.failed,
        "messages_per_second": round(fig.sent / seconds),
        "server_cpu_seconds": round((cpu1 or 0) - (cpu0 or 0), 1),
        "server_send_message_calls": stats["by_method"].get("sendMessage"),
        "raw": [m.as_dict() for m in raw],
    }


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


# --- rate limit and priorities -------------------------------------------------------

MONDAY = date(2026, 11, 23)
WIB_OFFSET = timedelta(hours=7)


def _wib(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(MONDAY, dtime(hour, minute, second), UTC) - WIB_OFFSET


async def _ratelimit(n: int, seconds: float, rate: int) -> dict[str, Any]:
    start = _wib(6, 29, 0)  # MORNING_TIME 06:30 is 60 s in; the reminder 120 s in
    menu_due, reminder_due = _wib(6, 30), _wib(6, 31)
    with tempfile.TemporaryDirectory() as tmp, start_fake_server_process(rate_limit=rate) as srv:
        db_url = await asyncio.to_thread(make_db, Path(tmp) / "bench.db", n)
        engine = create_engine(db_url)
        sessions = create_sessions(engine)
        clock: Clock = OffsetClock(start)
        async with sessions() as s, s.begin():
            await ensure_programmes(s)
            s.add(LearningSession(
                code="bench-1", day=MONDAY, programme_key="forum-berbagi-ilmu",
                title="Forum ASN Berbagi Ilmu: uji beban", starts_at=_wib(7, 1),
                ends_at=_wib(8, 0), jp=1.0, status="aktif", updated_at=clock.now(),
            ))
        settings = settings_for(srv.url, db_url, srv.token, rate)
        planner = NudgePlanner(sessions, clock, NudgeConfig(
            morning_time=dtime(6, 30), reminder_minutes=30, channels=("telegram",)))
        request = AiohttpRequest(connection_pool_size=64, pool_timeout=60)
        async with Bot(srv.token, base_url=f"{srv.url}/bot", request=request) as bot:
            dispatcher = OutboxWorker(
                sessions, clock, [TelegramSender(bot)],
                limits={"telegram": ChannelLimits(rate=float(rate), chat_rate=1.0)},
            )
            announcer = Announcer(sessions, clock, core_config(settings), CHANNELS,
                                  load_regions(), Signer(b"k" * 32),
                                  rates={"telegram": float(rate)})
            ann_id = await new_announcement(sessions, clock.now(), progress=True)
            server_stats(srv.url, reset=True)
            dispatcher.start()
            announcer.start()
            t0 = time.perf_counter()
            marks: dict[int, dict[str, Any]] = {}
            next_tick = 0.0
            while (elapsed := time.perf_counter() - t0) < seconds:
                if elapsed >= next_tick:  # the scheduler's tick (every minute in production)
                    await planner.tick()
                    next_tick += 10.0
                mark = int(elapsed // 10) * 10
                if mark not in marks:
                    marks[mark] = {"t": elapsed, **server_stats(srv.url)}
                await asyncio.sleep(0.2)
            await announcer.stop()
            await dispatcher.stop()
        stats = server_stats(srv.url)
        async with sessions() as s:
            fig = await figures(s, ann_id)
            firsts = {}
            for kind, due in (("menu", menu_due), ("reminder", reminder_due)):
                first = await s.scalar(select(func.min(OutboxMessage.sent_at))
                                       .where(OutboxMessage.kind == kind,
                                              OutboxMessage.status == "sent"))
                within = await s.scalar(select(func.count()).where(
                    OutboxMessage.kind == kind, OutboxMessage.status == "sent",
                    OutboxMessage.sent_at <= due + timedelta(seconds=60)))
                firsts[kind] = {"due": due.isoformat(),
                                "first_sent_after_s": round((first - due).total_seconds(), 2)
                                if first else None, "sent_within_60s": within}
            by_kind = dict((await s.execute(
                select(OutboxMessage.kind, func.count()).where(OutboxMessage.status == "sent")
                .group_by(OutboxMessage.kind))).all())
        await engine.dispose()
    def sends(m: dict[str, Any]) -> int:
        return sum(v for k, v in m["by_method"].items() if k.startswith(("send", "edit")))

    a, b = marks[30], marks[150]  # two minutes, once the nudges are planned
    window_rate = (sends(b) - sends(a)) / (b["t"] - a["t"])
    ticks = sorted(marks)
    per_10s = [round((sends(marks[y]) - sends(marks[x])) / (marks[y]["t"] - marks[x]["t"]), 1)
               for x, y in itertools.pairwise(ticks)]
    throttled_10s = [marks[y]["throttled"] - marks[x]["throttled"]
                     for x, y in itertools.pairwise(ticks)]
    return {
        "recipients": n, "limit": rate, "seconds": seconds,
        "rate_over_2_minutes": round(window_rate, 2),
        "deviation_percent": round(100 * (window_rate - rate) / rate, 2),
        "rate_per_10s": per_10s, "throttled_per_10s": throttled_10s,
        "requests": stats["requests"], "throttled_429": stats["throttled"],
        "throttled_percent": round(100 * stats["throttled"] / max(stats["requests"], 1), 3),
        "by_method": stats["by_method"], "sent_by_kind": by_kind,
        "announcement_sent": fig.sent, "priorities": firsts,
    }


# --- creating for a million ------------------------------------------------------------


async def _create_only(db_url: str) -> dict[str, Any]:
    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    async with sessions() as s:
        counted = await Segment().count(s, ["telegram"])
    t1 = time.perf_counter()
    ann_id = await new_announcement(sessions, now, progress=False)
    await start_due(sessions, now=now, channels=[CHANNELS["telegram"]], only=ann_id)
    t2 = time.perf_counter()
    async with sessions() as s:
        total = (await s.get(Announcement, ann_id)).total  # type: ignore[union-attr]
    await engine.dispose()
    return {"counted": counted.get("telegram", 0), "count_seconds": round(t1 - t0, 2),
            "rows": total, "create_seconds": round(t2 - t1, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _create(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        db_url = make_db(path, n)
        built = time.perf_counter() - t0
        # A fresh process, so its peak memory is the creation's alone.
        out = subprocess.run([sys.executable, "-m", "bench.announce_bench", "_create-only",
                              db_url], capture_output=True, text=True, check=True)
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["db_build_seconds"] = round(built, 1)
        result["db_mb"] = round(path.stat().st_size / 2**20, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    """Run one benchmark and print its figures as JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--n", type=int, default=100_000)
    t.add_argument("--raw", type=int, default=20_000, help="requests per raw-client run")
    r = sub.add_parser("ratelimit")
    r.add_argument("--n", type=int, default=100_000)
    r.add_argument("--seconds", type=float, default=180.0)
    r.add_argument("--rate", type=int, default=30)
    c = sub.add_parser("create")
    c.add_argument("--n", type=int, default=1_000_000)
    o = sub.add_parser("_create-only")
    o.add_argument("db_url")
    args = p.parse_args(argv)
    if args.what == "throughput":
        result = asyncio.run(_throughput(args.n, args.raw))
    elif args.what == "ratelimit":
        result = asyncio.run(_ratelimit(args.n, args.seconds, args.rate))
    elif args.what == "create":
        result = _create(args.n)
    else:
        result = asyncio.run(_create_only(args.db_url))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Measure attendance presses end to end: fake Telegram in its own process, the real bot here.

Every press is a signed "Saya hadir" callback_query of a different person, queued on the fake
server (POST /__inject); the bot, started as `dahar-ngopi run` starts it, fetches it by long
polling, stores it, records the attendance in SQLite and answers it with answerCallbackQuery.
The fake times each press from the moment it is queued to the moment the answer to it
arrives (`--time-answers`; the machine's monotonic clock, shared by both processes). Two runs:

- steady: N presses at a fixed rate (default 10,000 at 500/s), latency percentiles overall
  and per second, and whether the backlog grows (later seconds slower than earlier ones);
- burst: N more presses (the same people, another session) queued at once; time to drain.

Afterwards it checks the database: every person recorded exactly once per session, every
press answered once. The sessions are ASN Belajar's, which offers the evaluation: each press
also queues the edit of its prompt into the evaluation's first question (an outbox row,
delivered later; issue 16). `BENCH_EVALUATION=tidak` measures without it. Run from the
repository root::

    .venv/bin/python -m bench.attendance_presses [--people 10000] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

from bench.fake_ceiling import FakeServer, server_stats, start_fake_server_process
from bot.app import run_channels
from bot.runtime import Runtime, build_runtime
from bot.settings import load_settings
from core.clock import SystemClock
from db.models import Attendance, Identity, LearningSession, Person
from handlers.attendance import AttendPress
from schedules.calendar import ensure_programmes

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-callback-secret-not-for-production"
FIRST_USER = 700_000_000


@dataclass
class Run:
    """One measured run: the fake's (queued at, seconds to answer) of each press."""

    name: str
    presses: int
    first: float = 0.0
    last_sent: float = 0.0
    pairs: list[tuple[float, float]] = field(default_factory=list)

    def latencies(self) -> list[tuple[float, float]]:
        """(press time relative to the first, seconds to its answer), in press order."""
        return sorted((queued - self.first, lag) for queued, lag in self.pairs)


def _pct(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def _seed(rt: Runtime, people: int) -> tuple[int, int, list[int]]:
    """Two sessions open now and `people` registered people with a NIP; return the ids."""
    now = datetime.now(UTC)
    today = now.astimezone(rt.settings.tz).date()
    async with rt.sessions() as s, s.begin():
        await ensure_programmes(s)
        ids = []
        for code in ("BENCH-STEADY", "BENCH-BURST"):
            row = LearningSession(
                code=code, day=today, programme_key="asn-belajar", title=f"Sesi {code}",
                speaker=None, starts_at=now - timedelta(hours=1), ends_at=now,
                zoom_url=None, youtube_url=None, recording_url=None, jp=2,
                attendance_code=None, attendance_closes_at=now + timedelta(days=1),
                status="aktif", updated_at=now, evaluation=os.environ.get("BENCH_EVALUATION"),
            )
            s.add(row)
            await s.flush()
            ids.append(row.id)
    # People 1..N (a fresh database), each with a NIP (so every press is credited JP).
    for start in range(0, people, 5000):
        chunk = range(start, min(people, start + 5000))
        async with rt.sessions() as s, s.begin():
            await s.execute(insert(Person), [
                {"id": i + 1, "full_name": f"Peserta {i}", "nip": f"{198500000000000000 + i}",
                 "instansi": "Dinas Uji", "region_code": "3515", "tz": "WIB",
                 "consent_at": now, "registered_at": now, "subscribed": True, "reachable": True,
                 "preferred_channel": "telegram", "preferences": {}, "created_at": now}
                for i in chunk
            ])
            await s.execute(insert(Identity), [
                {"person_id": i + 1, "channel": "telegram", "external_id": str(FIRST_USER + i),
                 "chat_id": str(FIRST_USER + i), "created_at": now}
                for i in chunk
            ])
    person_ids = list(range(1, people + 1))
    return ids[0], ids[1], person_ids


def _update(query_id: str, user: int, data: str) -> dict[str, Any]:
    return {"update": {"callback_query": {
        "id": query_id,
        "from": {"id": user, "is_bot": False, "first_name": "Peserta", "language_code": "id"},
        "chat_instance": str(user),
        "data": data,
        # The prompt the button is on, as Telegram always sends it with a press.
        "message": {"message_id": 7, "date": 1795000000, "text": "Apakah Bapak/Ibu mengikuti?",
                    "chat": {"id": user, "type": "private", "first_name": "Peserta"}},
    }}}


async def _inject(http: aiohttp.ClientSession, url: str, items: list[dict[str, Any]]) -> None:
    async with http.post(f"{url}/__inject", json=items) as resp:
        body = await resp.json()
        if resp.status != 200 or not body.get("ok"):
            raise RuntimeError(f"inject failed: {resp.status} {body}")


async def _steady(
    http: aiohttp.ClientSession, url: str, run: Run, presses: list[tuple[str, int, str]],
    rate: float, tick: float = 0.01,
) -> None:
    """Queue presses at `rate` per second, a few every `tick` seconds, on schedule."""
    run.first = time.monotonic()
    sent = 0
    while sent < len(presses):
        due = min(len(presses), int((time.monotonic() - run.first) * rate) + 1)
        if due > sent:
            await _inject(http, url, [_update(q, u, d) for q, u, d in presses[sent:due]])
            sent = due
        await asyncio.sleep(tick)
    run.last_sent = time.monotonic()


async def _burst(
    http: aiohttp.ClientSession, url: str, run: Run, presses: list[tuple[str, int, str]]
) -> None:
    run.first = time.monotonic()
    for i in range(0, len(presses), 2000):
        await _inject(http, url, [_update(q, u, d) for q, u, d in presses[i:i + 2000]])
    run.last_sent = time.monotonic()


async def _wait_answered(http: aiohttp.ClientSession, url: str, run: Run, limit: float
                         ) -> None:
    """Collect the fake's answer times until every press of `run` was answered."""
    deadline = time.monotonic() + limit
    while len(run.pairs) < run.presses:
        if time.monotonic() > deadline:
            missing = run.presses - len(run.pairs)
            raise RuntimeError(f"{run.name}: {missing} presses not answered within {limit} s")
        await asyncio.sleep(0.05)
        async with http.get(f"{url}/__answer_times") as resp:
            run.pairs += [(q, lag) for q, lag in (await resp.json())["result"]]


def _report_steady(run: Run) -> dict[str, Any]:
    pairs = run.latencies()
    lat = [lag for _, lag in pairs]
    seconds = int(max(t for t, _ in pairs)) + 1
    per_second = []
    for sec in range(seconds):
        window = [lag for t, lag in pairs if sec <= t < sec + 1]
        if window:
            per_second.append({"second": sec, "presses": len(window),
                               "p95_ms": round(_pct(window, 95) * 1000, 1)})
    half = len(per_second) // 2
    early = statistics.median(s["p95_ms"] for s in per_second[1:half] or per_second)
    late = statistics.median(s["p95_ms"] for s in per_second[half:])
    return {
        "presses": len(lat),
        "offered_rate": round(run.presses / (run.last_sent - run.first), 1),
        "p50_ms": round(_pct(lat, 50) * 1000, 1),
        "p95_ms": round(_pct(lat, 95) * 1000, 1),
        "p99_ms": round(_pct(lat, 99) * 1000, 1),
        "max_ms": round(max(lat) * 1000, 1),
        "p95_early_half_ms": early,
        "p95_late_half_ms": late,
        "per_second_p95_ms": [s["p95_ms"] for s in per_second],
    }


def _report_burst(run: Run) -> dict[str, Any]:
    lat = [lag for _, lag in run.latencies()]
    drain = max(q + lag for q, lag in run.pairs) - run.first
    return {
        "presses": len(lat),
        "queued_in_s": round(run.last_sent - run.first, 3),
        "drain_s": round(drain, 2),
        "throughput_per_s": round(len(lat) / drain, 1),
        "p50_ms": round(_pct(lat, 50) * 1000, 1),
        "p95_ms": round(_pct(lat, 95) * 1000, 1),
        "max_ms": round(max(lat) * 1000, 1),
    }


async def _measure(rt: Runtime, server: FakeServer, people: int, rate: float,
                   ids: tuple[int, int, list[int]]) -> dict[str, Any]:
    steady_id, burst_id, person_ids = ids
    signer = rt.deps.signer

    def presses(session_id: int, tag: str) -> list[tuple[str, int, str]]:
        return [
            (f"{tag}{i}", FIRST_USER + i, signer.sign(str(pid), AttendPress(session_id).pack()))
            for i, pid in enumerate(person_ids)
        ]

    results: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        warm = [(f"w{i}", FIRST_USER + i, d) for i, (_, _, d) in
                enumerate(presses(steady_id, "w")[:200])]
        warm_run = Run("warm-up", len(warm))
        await _burst(http, server.url, warm_run, warm)
        await _wait_answered(http, server.url, warm_run, 60)
        async with rt.sessions() as s, s.begin():  # the warm-up presses are undone
            await s.execute(Attendance.__table__.delete())
        batcher = rt.dispatcher._batchers[AttendPress.prefix]
        steady = Run("steady", people)
        cpu = time.process_time()
        await _steady(http, server.url, steady, presses(steady_id, "s"), rate)
        await _wait_answered(http, server.url, steady, 120)
        results["steady"] = _report_steady(steady)
        results["steady"]["bot_cpu_ms_per_press"] = round(
            (time.process_time() - cpu) / people * 1000, 2)
        results["steady"]["presses_per_batch"] = round(
            batcher.items / max(1, batcher.batches), 1)
        start_batches, start_items = batcher.batches, batcher.items
        burst = Run("burst", people)
        cpu = time.process_time()
        await _burst(http, server.url, burst, presses(burst_id, "b"))
        await _wait_answered(http, server.url, burst, 600)
        results["burst"] = _report_burst(burst)
        results["burst"]["bot_cpu_ms_per_press"] = round(
            (time.process_time() - cpu) / people * 1000, 2)
        results["burst"]["presses_per_batch"] = round(
            (batcher.items - start_items) / max(1, batcher.batches - start_batches), 1)
    return results


async def _bench(server: FakeServer, people: int, rate: float, db_path: Path) -> dict[str, Any]:
    settings = load_settings({
        "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_URL": server.url,
        "CALLBACK_SECRET": SECRET, "SAMPLE_CALENDAR": "false", "LOG_LEVEL": "WARNING",
    })
    rt = await build_runtime(settings, SystemClock())
    ids = await _seed(rt, people)
    # The machine may be shared: its load (1-minute average) says how much CPU the bot had.
    results: dict[str, Any] = {"people": people, "rate": rate,
                               "loadavg_before": round(os.getloadavg()[0], 2)}
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_channels(rt, stop=stop, started=started))
    try:
        await asyncio.wait_for(started.wait(), 60)
        results.update(await _measure(rt, server, people, rate, ids))
    finally:
        stop.set()
        await task
        gc.unfreeze()
    async with rt.sessions() as s:
        rows = (await s.execute(
            select(Attendance.session_id, func.count(), func.count(func.distinct(
                Attendance.person_id))).group_by(Attendance.session_id)
        )).all()
    await rt.close()
    results["loadavg_after"] = round(os.getloadavg()[0], 2)
    by_session = {sid: (n, distinct) for sid, n, distinct in rows}
    stats = server_stats(server.url)
    answers = stats["by_method"].get("answerCallbackQuery", 0)
    results["check"] = {
        "steady_rows": by_session.get(ids[0], (0, 0)),
        "burst_rows": by_session.get(ids[1], (0, 0)),
        "answers": answers,
        "fake_stats": stats,
    }
    ok = (by_session.get(ids[0]) == (people, people)
          and by_session.get(ids[1]) == (people, people) and answers == 200 + 2 * people
          and stats["errors"] == 0)
    results["check"]["ok"] = ok
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the steady and the burst measurement; print the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0, help="steady presses per second")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    with tempfile.TemporaryDirectory(prefix="bench-attendance-") as folder, \
            start_fake_server_process(time_answers=True) as server:
        results = asyncio.run(_bench(server, args.people, args.rate, Path(folder) / "bench.db"))
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0 if results["check"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

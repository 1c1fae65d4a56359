"""Peak memory (and time) of planning one morning menu for 100,000 and 1,000,000 subscribers.

Each size gets a fresh SQLite database, seeded in SQL (a recursive CTE, so the seeding
holds nobody in Python memory either), then a fresh process plans Monday's WIB menu
with `schedules.nudges.plan_morning_menu` and reports its peak RSS (ru_maxrss, the whole
process: interpreter, libraries, SQLite's cache) and the peak of Python allocations
during planning (tracemalloc). `--naive` adds, for contrast, the usual approach: load
every recipient into a list, then insert the rows. Run from the repository root::

    .venv/bin/python -m bench.planning_memory --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MONDAY = date(2026, 11, 23)

__all__ = ["plan_once", "seed"]


def seed(path: Path, n: int) -> float:
    """Fill people and identities with n subscribers in SQL; return the seconds it took.

    Mostly WIB (10 % WITA, 5 % WIT), 3 % unsubscribed, 2 % muting Monday's programme.
    """
    start = time.perf_counter()
    con = sqlite3.connect(path)
    con.executescript(f"""
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=OFF;
        WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})
        INSERT INTO people (id, tz, subscribed, reachable, registered_at, created_at,
                            preferences)
        SELECT i,
               CASE WHEN i % 20 = 0 THEN 'WIT' WHEN i % 10 = 0 THEN 'WITA' ELSE 'WIB' END,
               i % 33 != 0, 1, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000',
               CASE WHEN i % 50 = 0 THEN '{{"muted": ["forum-berbagi-ilmu"]}}' ELSE '{{}}' END
        FROM seq;
        INSERT INTO identities (person_id, channel, external_id, chat_id, created_at)
        SELECT id, 'telegram', CAST(100000000 + id AS TEXT), CAST(100000000 + id AS TEXT),
               '2026-01-01 00:00:00.000000'
        FROM people;
        INSERT INTO programmes (key, weekday, name, description)
        VALUES ('forum-berbagi-ilmu', 0, 'Forum ASN Berbagi Ilmu', '-');
        INSERT INTO learning_sessions (code, day, programme_key, title, speaker, starts_at,
                                       ends_at, zoom_url, youtube_url, jp, status, updated_at)
        VALUES ('bench-1', '2026-11-23', 'forum-berbagi-ilmu', 'Inovasi Pelayanan Publik',
                'Narasumber', '2026-11-23 02:00:00.000000', '2026-11-23 03:30:00.000000',
                'https://zoom.us/j/1', 'https://youtube.com/@bpsdmjatim', 2, 'aktif',
                '2026-01-01 00:00:00.000000');
    """)
    con.commit()
    con.close()
    return time.perf_counter() - start


async def plan_once(db_url: str, naive: bool) -> dict[str, Any]:
    """Plan Monday's WIB morning menu (in this process) and measure it."""
    from core.outbox import dialect_insert, payload_body, store_payload
    from core.types import Reply
    from db.engine import create_engine, create_sessions
    from db.models import OutboxMessage
    from schedules.audience import recipients
    from schedules.nudges import NudgeConfig, plan_morning_menu

    engine = create_engine(db_url)
    sessions = create_sessions(engine)
    now = datetime(2026, 11, 22, 23, 25, tzinfo=UTC)  # Monday 06:25 WIB: five minutes ahead
    rss_before = _rss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    if not naive:
        outcome = await plan_morning_menu(
            sessions, NudgeConfig(channels=("telegram",)), day=MONDAY, zone="WIB", now=now)
        planned = outcome.recipients
    else:
        # The usual code: every recipient in a list, then one row each.
        async with sessions() as s:
            everyone = (await s.execute(recipients(["telegram"], zone="WIB", want="menu",
                                                   programme_key="forum-berbagi-ilmu"))).all()
        async with sessions() as s, s.begin():
            pid = await store_payload(s, payload_body(Reply("menu")), now=now)
            rows = [
                {"idem_key": f"naive:{p}", "person_id": p, "channel": ch, "chat_id": chat,
                 "kind": "menu", "priority": 20, "payload_id": pid, "status": "pending",
                 "attempts": 0, "not_before": now, "created_at": now}
                for p, ch, chat in everyone
            ]
            await s.execute(
                dialect_insert(s, OutboxMessage).on_conflict_do_nothing(
                    index_elements=["idem_key"]), rows)
        planned = len(rows)
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await engine.dispose()
    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"planned": planned, "seconds": round(seconds, 2),
            "rss_before_mb": rss_before, "peak_rss_mb": round(peak_rss_kb / 1024, 1),
            "python_peak_mb": round(traced_peak / 2**20, 1)}


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _measure(size: int, naive: bool) -> dict[str, Any]:
    from db.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        seed_seconds = seed(path, size)
        # A fresh process: its peak RSS is planning's, not the seeding's.
        out = subprocess.run(
            [sys.executable, "-m", "bench.planning_memory", "--child", str(path),
             *(["--naive"] if naive else [])],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
            capture_output=True, text=True,
        ).stdout
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        result.update(subscribers=size, seed_seconds=round(seed_seconds, 1),
                      way="naive list" if naive else "streamed INSERT ... SELECT")
        return result


def main(argv: list[str] | None = None) -> None:
    """Measure each size (and the naive way with --naive) and print a table and JSON."""
    parser = argparse.ArgumentParser(description="Planning memory")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--naive", action="store_true", help="also measure the naive way")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(plan_once(f"sqlite+aiosqlite:///{args.child}",
                                               args.naive))))
        return
    results = []
    for size in args.sizes:
        results.append(_measure(size, naive=False))
        if args.naive:
            results.append(_measure(size, naive=True))
    row = "{:<28} {:>11} {:>9} {:>8} {:>14} {:>12} {:>14}"
    print(row.format("way", "subscribers", "planned", "seconds", "RSS before MB", "peak RSS MB",
                     "Python peak MB"))
    for r in results:
        print(row.format(r["way"], f"{r['subscribers']:,}", f"{r['planned']:,}", r["seconds"],
                         r["rss_before_mb"], r["peak_rss_mb"], r["python_peak_mb"]))
    print(json.dumps({"cpus": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    main()

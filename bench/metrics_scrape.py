"""What a /metrics scrape costs the database with a large outbox backlog.

Fills a fresh database migrated to head with N pending outbox rows (four in five on
Telegram, one in ten at priority 10, the rest announcements at 30, due over the last hour),
then times `bot.metrics.read_figures` (the backlog, open questions, attendance today: what
each scrape reads) seven times, before and after a VACUUM ANALYZE (PostgreSQL) or ANALYZE
(SQLite). Run from the repository root::

    .venv/bin/python -m bench.metrics_scrape --rows 100000
    DATABASE_URL_PG=postgresql+asyncpg://... .venv/bin/python -m bench.metrics_scrape --pg \\
        --rows 1000000

Results are printed (median and fastest of the seven reads).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.metrics import read_figures
from core.clock import FixedClock
from db.engine import create_engine, create_sessions
from db.migrate import upgrade_async

_ROWS = """
INSERT INTO outbox (idem_key, channel, chat_id, kind, priority, payload_id, status, attempts,
                    not_before, created_at)
SELECT 'k' || g, CASE WHEN g % 5 = 0 THEN 'whatsapp' ELSE 'telegram' END, CAST(g AS TEXT),
       'announcement', CASE WHEN g % 10 = 0 THEN 10 ELSE 30 END, 1, 'pending', 0, :due, :due
FROM {series}
"""


async def _fill(engine: AsyncEngine, rows: int, postgres: bool) -> None:
    due = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    stamp = due if postgres else due.replace(tzinfo=None)
    series = ("generate_series(1, :n) AS g" if postgres else
              "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
              "SELECT g FROM s)")
    async with engine.begin() as c:
        await c.execute(text("INSERT INTO outbox_payloads (id, digest, body, created_at) "
                             "VALUES (1, 'bench', '{}', :at)"), {"at": stamp})
        await c.execute(text(_ROWS.format(series=series)), {"n": rows, "due": stamp})


async def _time(engine: AsyncEngine) -> tuple[float, float]:
    sessions = create_sessions(engine)
    clock = FixedClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    times = []
    for _ in range(7):
        start = time.perf_counter()
        figures = await read_figures(sessions, clock, ZoneInfo("Asia/Jakarta"), leader=True)
        times.append(time.perf_counter() - start)
        assert figures.database_up and sum(b.pending for b in figures.backlog) > 0
    return statistics.median(times) * 1000, min(times) * 1000


async def _postgres_url(server: str) -> str:
    base = server.rsplit("/", 1)[0]
    admin = create_engine(base + "/postgres")
    async with admin.connect() as c:
        await c.execution_options(isolation_level="AUTOCOMMIT")
        await c.execute(text("DROP DATABASE IF EXISTS bench_metrics_scrape"))
        await c.execute(text("CREATE DATABASE bench_metrics_scrape"))
    await admin.dispose()
    return base + "/bench_metrics_scrape"


async def main() -> None:
    """Fill, time, analyse, time again."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", action="store_true", help="on DATABASE_URL_PG's server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.pg:
            url = await _postgres_url(os.environ["DATABASE_URL_PG"])
        else:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await upgrade_async(url)
        engine = create_engine(url)
        try:
            await _fill(engine, args.rows, args.pg)
            median, fastest = await _time(engine)
            print(f"{args.rows:,} pending rows: figures read in {median:.1f} ms "
                  f"(fastest {fastest:.1f})")
            async with engine.connect() as c:
                await c.execution_options(isolation_level="AUTOCOMMIT")
                await c.execute(text("VACUUM ANALYZE outbox" if args.pg else "ANALYZE"))
            median, fastest = await _time(engine)
            print(f"  after {'VACUUM ANALYZE' if args.pg else 'ANALYZE'}: {median:.1f} ms "
                  f"(fastest {fastest:.1f})")
        finally:
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())

"""Database growth over about 1,000,000 outbox rows, with and without the nightly purge.

Simulates DAYS days of the bot's own messages: every day a morning menu to every
subscriber, a reminder to 60 % of them, an attendance prompt to 40 % and, averaged, a fifth
of a weekly announcement to everyone (one shared payload each, as the planners write them),
four in five on Telegram and one in five on WhatsApp (whose rows carry a wamid and delivery
receipts), all delivered. Both modes write the same rows into a fresh database migrated to
head; the purging one runs `db.purge.purge_old_rows` (the nightly job's purge,
RETENTION_DAYS=90) after every day. Every 10 days the size is taken: SQLite's pages in use
(the file does not shrink: freed pages are reused) and the file; on PostgreSQL the outbox's
and the payloads' relations with their indexes, after a plain VACUUM (what autovacuum does
between two nights). During the last 10 nights a probe writes a row every 10 ms and records
how long each write takes, beside the purge (and, without it, beside nothing: the baseline
of the machine at that moment). Run from the repository root::

    .venv/bin/python -m bench.db_growth --days 200 --subscribers 2300
    DATABASE_URL_PG=postgresql+asyncpg://... .venv/bin/python -m bench.db_growth --pg

Results are printed and written to bench/results/db_growth-<backend>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import Sessions, create_engine, create_sessions
from db.migrate import upgrade_async
from db.models import AppMeta, OutboxMessage, OutboxPayload
from db.purge import purge_old_rows

ROOT = Path(__file__).resolve().parent.parent
START = date(2026, 1, 5)
RETENTION = timedelta(days=90)
# kind, share of the subscribers, priority; an announcement to everyone once a week.
SHARES = (("menu", 1.0, 2), ("reminder", 0.6, 1), ("prompt", 0.4, 1), ("announcement", 0.2, 3))
MENU_TEXT = ("☕ <b>Selamat pagi, Bapak/Ibu!</b> Menu Dahar Ngopi hari ini: <b>ASN Belajar</b> — "
             "Kepemimpinan Adaptif di Era Transformasi Digital, bersama Dr. Rina "
             "Kusumawardani, M.Si., pukul 09.00–12.00 WIB (3 JP). Zoom: https://zoom.us/j/"
             "90175722846 · YouTube: https://www.youtube.com/@bpsdmjatim ") * 3


def _rows(day: date, subscribers: int, payloads: dict[str, int]) -> list[dict[str, Any]]:
    """The day's delivered rows (created at 06:00 WIB, sent within the hour)."""
    created = datetime.combine(day, datetime.min.time(), UTC) - timedelta(hours=1)
    rows: list[dict[str, Any]] = []
    for kind, share, priority in SHARES:
        for person in range(1, int(subscribers * share) + 1):
            whatsapp = person % 5 == 0
            sent = created + timedelta(seconds=person % 3600)
            rows.append({
                "idem_key": f"{kind}:{day.isoformat()}:WIB:{person}",
                "person_id": None, "channel": "whatsapp" if whatsapp else "telegram",
                "chat_id": f"628{person:010d}" if whatsapp else str(700_000_000 + person),
                "kind": kind, "priority": priority, "payload_id": payloads[kind],
                "status": "sent", "attempts": 1, "not_before": created,
                "expires_at": created + timedelta(hours=3) if kind == "reminder" else None,
                "platform_message_id": (f"wamid.HBgNNjI4{person:010d}FQIAERgSMzQ1Njc4OUFCQ0RF"
                                        if whatsapp else str(100_000 + person)),
                "ref_type": "session" if kind in ("reminder", "prompt") else None,
                "ref_id": day.toordinal() if kind in ("reminder", "prompt") else None,
                "created_at": created, "sent_at": sent,
                "delivered_at": sent + timedelta(seconds=2) if whatsapp else None,
                "read_at": sent + timedelta(minutes=20) if whatsapp else None,
            })
    return rows


async def _write_day(sessions: Sessions, day: date, subscribers: int) -> int:
    created = datetime.combine(day, datetime.min.time(), UTC) - timedelta(hours=1)
    async with sessions() as db, db.begin():
        payloads = {}
        for kind, _, _ in SHARES:
            payloads[kind] = int(await db.scalar(
                insert(OutboxPayload).returning(OutboxPayload.id).values(
                    digest=uuid.uuid4().hex * 2, body={"text": MENU_TEXT, "kind": kind},
                    created_at=created)))
    rows = _rows(day, subscribers, payloads)
    for i in range(0, len(rows), 5000):
        async with sessions() as db, db.begin():
            await db.execute(insert(OutboxMessage), rows[i:i + 5000])
    return len(rows)


async def _size(engine: Any, backend: str) -> dict[str, int]:
    async with engine.connect() as conn:
        if backend == "sqlite":
            page = int(await conn.scalar(text("PRAGMA page_size")))
            count = int(await conn.scalar(text("PRAGMA page_count")))
            free = int(await conn.scalar(text("PRAGMA freelist_count")))
            rows = int(await conn.scalar(text("SELECT count(*) FROM outbox")))
            return {"used_bytes": (count - free) * page, "file_bytes": count * page,
                    "outbox_rows": rows}
        used = int(await conn.scalar(text(
            "SELECT pg_total_relation_size('outbox') + pg_total_relation_size('outbox_payloads')"
        )))
        rows = int(await conn.scalar(text("SELECT count(*) FROM outbox")))
        return {"used_bytes": used, "file_bytes": used, "outbox_rows": rows}


async def _vacuum(url: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text("VACUUM outbox"))
        await conn.execute(text("VACUUM outbox_payloads"))
    await engine.dispose()


async def _probe(sessions: Sessions, stop: asyncio.Event, waits: list[float]) -> None:
    """Write one small row every 10 ms; record how long each write took."""
    n = 0
    while not stop.is_set():
        start = time.perf_counter()
        async with sessions() as db, db.begin():
            await db.merge(AppMeta(key="bench:probe", value=str(n)))
        waits.append(time.perf_counter() - start)
        n += 1
        await asyncio.sleep(0.01)


async def simulate(url: str, backend: str, *, days: int, subscribers: int, purge: bool
                   ) -> dict[str, Any]:
    """Write `days` days of rows, purging nightly if `purge`; return the measurements."""
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessions(engine)
    samples: list[dict[str, Any]] = []
    written, purge_seconds, purged, longest = 0, 0.0, 0, 0.0
    waits: list[float] = []
    day = START
    for n in range(1, days + 1):
        written += await _write_day(sessions, day, subscribers)
        # The last nights: a writer beside the purge (or, without it, beside nothing: the
        # baseline on this machine) records how long its writes take.
        stop, probe_waits = asyncio.Event(), []
        probe = asyncio.create_task(_probe(sessions, stop, probe_waits)) \
            if n > days - 10 else None
        if purge:
            night = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=19)
            start = time.perf_counter()
            report = await purge_old_rows(sessions, now=night, retention=RETENTION)
            purge_seconds += time.perf_counter() - start
            purged += report.outbox
            longest = max(longest, report.longest_batch_ms)
        elif probe is not None:
            await asyncio.sleep(2.0)
        stop.set()
        if probe is not None:
            await probe
            waits += probe_waits
        if n % 10 == 0 or n == days:
            if backend == "postgres":
                await _vacuum(url)
            samples.append({"day": n, "written": written, **await _size(engine, backend)})
            print(f"  {'purge' if purge else 'keep '} day {n:4d}: {written:9,d} written, "
                  f"{samples[-1]['outbox_rows']:9,d} kept, "
                  f"{samples[-1]['used_bytes'] / 2**20:8.1f} MiB used", flush=True)
        day += timedelta(days=1)
    await engine.dispose()
    result: dict[str, Any] = {"purge": purge, "written": written, "samples": samples}
    if purge:
        result |= {"purged_rows": purged, "purge_seconds": round(purge_seconds, 2),
                   "purge_rows_per_s": round(purged / purge_seconds) if purge_seconds else None,
                   "longest_batch_ms": round(longest, 1)}
    if waits:
        ordered = sorted(waits)
        result["probe_write_ms"] = {
            "n": len(ordered), "median": round(statistics.median(ordered) * 1000, 1),
            "p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
            "max": round(ordered[-1] * 1000, 1)}
    return result


def extrapolate(keep: dict[str, Any], purge: dict[str, Any], *, per_person_day: float,
                subscribers: int = 100_000, working_days: int = 250) -> dict[str, Any]:
    """A year of `subscribers`: every row kept, at the bytes per row measured without the
    purge; or RETENTION days of rows, at the bytes per kept row the purging database
    settled at (freed space not yet reused included)."""
    kept, purged = keep["samples"][-1], purge["samples"][-1]
    per_row = kept["used_bytes"] / kept["outbox_rows"]
    per_kept_row = purged["used_bytes"] / purged["outbox_rows"]
    year_rows = subscribers * per_person_day * working_days
    steady_rows = year_rows * RETENTION.days / 365
    return {"bytes_per_row": round(per_row), "bytes_per_kept_row": round(per_kept_row),
            "rows_per_year": round(year_rows), "rows_kept_steady": round(steady_rows),
            "no_purge_gib": round(year_rows * per_row / 2**30, 1),
            "purge_gib": round(steady_rows * per_kept_row / 2**30, 1),
            "measured_ratio": round(purged["used_bytes"] / kept["used_bytes"], 3)}


async def _pg_database(base: str) -> tuple[str, str]:
    name = f"bench_growth_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE {name}"))
    await engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


async def _drop_pg(base: str, name: str) -> None:
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--subscribers", type=int, default=2300)
    parser.add_argument("--pg", action="store_true", help="on DATABASE_URL_PG's server")
    args = parser.parse_args()
    backend = "postgres" if args.pg else "sqlite"
    results: dict[str, Any] = {"backend": backend, "days": args.days,
                               "subscribers": args.subscribers}
    with tempfile.TemporaryDirectory() as tmp:
        for purge in (False, True):
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{tmp}/growth-{purge}.db"
                results["purge" if purge else "keep"] = await simulate(
                    url, backend, days=args.days, subscribers=args.subscribers, purge=purge)
                continue
            base = os.environ["DATABASE_URL_PG"]
            url, name = await _pg_database(base)
            try:
                results["purge" if purge else "keep"] = await simulate(
                    url, backend, days=args.days, subscribers=args.subscribers, purge=purge)
            finally:
                await _drop_pg(base, name)
    per_person_day = sum(share for _, share, _ in SHARES)
    results["year_100k"] = extrapolate(results["keep"], results["purge"],
                                       per_person_day=per_person_day)
    out = ROOT / "bench" / "results" / f"db_growth-{backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k not in ("keep", "purge")},
                     indent=2))
    for mode in ("keep", "purge"):
        print(mode, json.dumps({k: v for k, v in results[mode].items() if k != "samples"}))


if __name__ == "__main__":
    asyncio.run(main())

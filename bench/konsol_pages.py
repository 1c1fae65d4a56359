"""The konsol's pages with a real audience: 100,000 people, 1,000,000 attendance rows (with
their evaluations, certificates and quizzes).

The konsol runs in its own process (the internal listener, as `dahar-ngopi run` serves it);
one client here signs in with a login link, warms each page, then times the first and a
middle page of every list (p50/p95/max over `--repeat` requests), the home page, and apart
from them the charts and exports.

    .venv/bin/python -m bench.konsol_pages --db /tmp/konsol-bench.db            # SQLite
    .venv/bin/python -m bench.konsol_pages --db postgresql+asyncpg://postgres@127.0.0.1:55444/bench

Seeding takes a minute or two and is kept: run again with the same --db to skip it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

PEOPLE = 100_000
ATTENDANCE = 1_000_000
PER_PERSON = ATTENDANCE // PEOPLE  # sessions each person attended
QUESTIONS = 2_000
ANNOUNCEMENTS = 300
AUDIT = 20_000
OUTBOX = 300_000  # a day and a half of nudges
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
OWNER = "9001"


def _url(db: str) -> str:
    return db if "://" in db else f"sqlite+aiosqlite:///{Path(db).resolve()}"


async def _batches(conn: object, table: object, rows: Iterable[dict[str, object]]) -> None:
    """Insert `rows` 10,000 at a time (a generator is never held whole in memory)."""
    it = iter(rows)
    while batch := list(itertools.islice(it, 10_000)):
        await conn.execute(insert(table), batch)  # type: ignore[attr-defined]


def _after_session(
    people: list[dict[str, Any]], sessions: list[dict[str, Any]],
    attendance: list[dict[str, Any]], names: dict[str, str],
) -> tuple[Iterator[dict[str, Any]], Iterator[dict[str, Any]], int]:
    """Evaluations (3 of 5 attendances, a comment in 1 of 20) and a certificate for every
    attendance by a person with a NIP; returns them and how many certificates."""
    evaluations = ({
        "person_id": r["person_id"], "session_id": r["session_id"], "material": 1 + i % 5,
        "speaker": 1 + i // 5 % 5, "usefulness": 1 + i // 25 % 5, "started_at": NOW,
        "completed_at": NOW, "comment": "Materinya bermanfaat." if i % 20 == 0 else None,
    } for i, r in enumerate(attendance) if i % 5 < 3)
    holders = [r for r in attendance if people[r["person_id"] - 1]["nip"] is not None]

    def certificates() -> Iterator[dict[str, Any]]:
        for seq, r in enumerate(holders, start=1):
            p, s = people[r["person_id"] - 1], sessions[r["session_id"] - 1]
            yield {"year": 2026, "seq": seq, "number": f"DN/2026/{seq:07d}",
                   "code": f"C{seq:015d}", "person_id": p["id"], "session_id": s["id"],
                   "holder_name": p["full_name"], "holder_nip": p["nip"],
                   "holder_instansi": p["instansi"], "programme": names[s["programme_key"]],
                   "title": s["title"], "day": s["day"], "jp": 2.0,
                   "organiser": "BPSDM Provinsi Jawa Timur", "signer_name": "Kepala",
                   "signer_position": "Kepala BPSDM Provinsi Jawa Timur", "issued_at": NOW}

    return evaluations, certificates(), len(holders)


def _quizzes(
    sessions: list[dict[str, Any]], attendance: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Three questions for every tenth session, answered once by each of its attendees."""
    questions = [{"id": n * 3 + q + 1, "session_id": s["id"], "position": q + 1,
                  "text": f"Pertanyaan {q + 1}?", "options": ["A", "B", "C"], "answer": q,
                  "explanation": ""}
                 for n, s in enumerate(sessions[::10]) for q in range(3)]
    first = {q["session_id"]: q["id"] for q in questions if q["position"] == 1}
    answers = ({"person_id": r["person_id"], "question_id": first[r["session_id"]] + q,
                "attempt": 1, "choice": q if i % 3 else 0, "correct": bool(i % 3) or q == 0,
                "answered_at": NOW}
               for i, r in enumerate(attendance) if r["session_id"] in first
               for q in range(3))
    return questions, answers


def _working_days(year: int) -> list[date]:
    from schedules.holidays import national_holiday

    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5 and national_holiday(day) is None:
            days.append(day)
        day += timedelta(days=1)
    return days


async def seed(url: str) -> None:
    """Fill the database once (people, sessions, attendance with evaluations, certificates and
    quizzes, questions, outbox, audit)."""
    from core.programme import PROGRAMMES
    from db.engine import create_engine
    from db.migrate import upgrade_async
    from db.models import (
        Announcement,
        Attendance,
        AuditEntry,
        Certificate,
        CertificateCounter,
        Evaluation,
        Identity,
        LearningSession,
        OutboxMessage,
        OutboxPayload,
        Person,
        Question,
        QuestionAsker,
        QuizAnswer,
        QuizQuestion,
    )

    await upgrade_async(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        if await conn.scalar(select(func.count()).select_from(Person.__table__)):
            await engine.dispose()
            print("database already seeded", file=sys.stderr)
            return
    started = time.perf_counter()
    rnd = random.Random(15)
    regions = ["3515", "3578", "3573", "3507", "3525", "3509", "3510", "3524", "3516", "3517"]
    offices = ["Dinas Pendidikan", "Dinas Kesehatan", "Bappeda", "BKD", "Dinas Kominfo",
               "Sekretariat Daerah", "Dinas Sosial", "RSUD", "Inspektorat", "Kecamatan"]
    async with engine.begin() as conn:
        from sqlalchemy.ext.asyncio import AsyncSession

        from schedules.calendar import ensure_programmes

        async with AsyncSession(bind=conn) as s:
            await ensure_programmes(s)
            await s.flush()
        people = [{
            "id": i + 1,
            "full_name": f"{rnd.choice(['Budi', 'Siti', 'Agus', 'Dewi', 'Rina'])} "
                         f"{rnd.choice(['Santoso', 'Aminah', 'Wijaya', 'Lestari'])} {i}",
            "nip": f"1985{(i // 28) % 12 + 1:02d}{i % 28 + 1:02d}2010{(i // 336) % 12 + 1:02d}"
                   f"{i % 2 + 1}{i % 1000:03d}" if i % 10 else None,
            "instansi": f"{offices[i % 10]} {regions[i % 10]}", "region_code": regions[i % 10],
            "tz": "WIB", "consent_at": NOW, "registered_at": NOW, "subscribed": True,
            "reachable": True, "preferred_channel": "telegram" if i % 4 else "whatsapp",
            "channel_pinned": False, "preferences": {}, "created_at": NOW,
        } for i in range(PEOPLE)]
        seen: set[str] = set()
        for p in people:  # the NIP pattern repeats after a while: keep NIPs unique
            if p["nip"] is not None and p["nip"] in seen:
                p["nip"] = None
            elif p["nip"] is not None:
                seen.add(str(p["nip"]))
        await _batches(conn, Person.__table__, people)
        await _batches(conn, Identity.__table__, [{
            "person_id": i + 1, "channel": "telegram" if i % 4 else "whatsapp",
            "external_id": str(7_000_000_000 + i), "chat_id": str(7_000_000_000 + i),
            "created_at": NOW, "last_inbound_at": NOW} for i in range(PEOPLE)])
        days = _working_days(2026)
        sessions = [{
            "id": n + 1, "code": f"S{n + 1:04d}", "day": d,
            "programme_key": PROGRAMMES[d.weekday()].key, "title": f"Sesi {n + 1}",
            "speaker": "Narasumber", "starts_at": datetime.combine(d, datetime.min.time(), UTC)
            + timedelta(hours=2), "ends_at": datetime.combine(d, datetime.min.time(), UTC)
            + timedelta(hours=4), "jp": 2.0, "status": "aktif", "updated_at": NOW,
            "version": 1} for n, d in enumerate(days)]
        await _batches(conn, LearningSession.__table__, sessions)
        groups = len(sessions) // PER_PERSON
        rows = [{
            "person_id": i % PEOPLE + 1,
            "session_id": (i // PEOPLE) * groups + (i % PEOPLE) % groups + 1,
            "reported_at": NOW, "channel": "telegram", "source": "self",
        } for i in range(ATTENDANCE)]
        await _batches(conn, Attendance.__table__, rows)
        # Evaluations, certificates and quiz answers come session by session (the sweep
        # issues a session's certificates together), so they are stored in that order.
        by_session = sorted(rows, key=lambda r: (r["session_id"], r["person_id"]))
        evaluations, certificates, issued = _after_session(
            people, sessions, by_session, {p.key: p.name for p in PROGRAMMES})
        await _batches(conn, Evaluation.__table__, evaluations)
        await _batches(conn, Certificate.__table__, certificates)
        await conn.execute(insert(CertificateCounter.__table__), [{"year": 2026,
                                                                  "last": issued}])
        questions, answers = _quizzes(sessions, by_session)
        await _batches(conn, QuizQuestion.__table__, questions)
        await _batches(conn, QuizAnswer.__table__, answers)
        await _batches(conn, Question.__table__, [{
            "id": q + 1, "key": f"pertanyaan {q}", "text": f"Pertanyaan nomor {q}?",
            "status": "open" if q % 3 else "answered", "created_at": NOW - timedelta(minutes=q),
            "answer": None if q % 3 else "Jawaban.", "answered_at": None if q % 3 else NOW,
        } for q in range(QUESTIONS)])
        await _batches(conn, QuestionAsker.__table__, [{
            "question_id": q + 1, "person_id": q + 1, "text": f"Pertanyaan nomor {q}?",
            "channel": "telegram", "chat_id": str(7_000_000_000 + q), "asked_at": NOW,
        } for q in range(QUESTIONS)])
        await _batches(conn, Announcement.__table__, [{
            "id": a + 1, "created_by": "telegram:9001", "text": f"<b>Pengumuman</b> {a}",
            "segment": {}, "status": "done", "created_at": NOW, "updated_at": NOW,
            "started_at": NOW, "finished_at": NOW, "audience": 100, "total": 100, "sent": 97,
            "blocked": 2, "failed": 1, "cancelled": 0} for a in range(ANNOUNCEMENTS)])
        await _batches(conn, AuditEntry.__table__, [{
            "at": NOW - timedelta(minutes=a), "actor": "telegram:9001", "action": "export",
            "detail": f"presensi {a}", "rows": a} for a in range(AUDIT)])
        await conn.execute(insert(OutboxPayload.__table__), [{
            "id": 1, "digest": "0" * 64, "body": {"text": "menu"}, "created_at": NOW}])
        await _batches(conn, OutboxMessage.__table__, [{
            "idem_key": f"menu:{o}", "person_id": o % PEOPLE + 1, "channel": "telegram",
            "chat_id": str(7_000_000_000 + o % PEOPLE), "kind": "menu", "priority": 3,
            "payload_id": 1, "status": "sent" if o % 50 else "failed", "attempts": 1,
            "not_before": NOW - timedelta(hours=36) + timedelta(seconds=o * 0.43),
            "created_at": NOW - timedelta(hours=36) + timedelta(seconds=o * 0.43),
            "sent_at": NOW - timedelta(hours=36) + timedelta(seconds=o * 0.43),
        } for o in range(OUTBOX)])
    # A live database has planner statistics (autovacuum, SQLite's ANALYZE): so does this one.
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    await engine.dispose()
    print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)


async def serve(url: str, port: int) -> None:
    """The konsol on the internal listener, until killed (the server process)."""
    from bot.http_server import HttpServer, build_internal_app
    from bot.runtime import build_runtime
    from bot.settings import load_settings
    from bot.web import build_konsol

    settings = load_settings({"DATABASE_URL": url, "ADMIN_TELEGRAM_IDS": OWNER,
                              "SAMPLE_CALENDAR": "false", "LOG_LEVEL": "WARNING",
                              "PUBLIC_URL": "https://dahar-ngopi.example.go.id"})
    rt = await build_runtime(settings, migrate=False)
    server = HttpServer(build_internal_app(rt.readiness, build_konsol(rt.deps)), "127.0.0.1",
                        port)
    await server.start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def _link(url: str) -> str:
    from datetime import datetime as dt

    from db.engine import create_engine, create_sessions
    from db.konsol import create_link

    engine = create_engine(url)
    async with create_sessions(engine)() as db, db.begin():
        token = await create_link(db, "telegram", OWNER, by="bench", now=dt.now(UTC))
    await engine.dispose()
    return token


def _pages() -> list[tuple[str, str]]:
    middle_people = PEOPLE // 25 // 2
    return [
        ("beranda", "/konsol/"),
        ("peserta, hal. 1", "/konsol/peserta"),
        ("peserta, hal. tengah", f"/konsol/peserta?hal={middle_people}"),
        ("peserta cari 'dinas', hal. 1", "/konsol/peserta?q=dinas"),
        ("peserta cari 'dinas', hal. tengah", f"/konsol/peserta?q=dinas&hal={middle_people // 5}"),
        ("profil peserta", "/konsol/peserta/50000"),
        ("kehadiran bulan", "/konsol/kehadiran?bulan=2026-06"),
        ("hadir satu sesi, hal. 1", "/konsol/kehadiran/sesi/120"),
        ("hadir satu sesi, hal. tengah", "/konsol/kehadiran/sesi/120?hal=80"),
        ("JP per ASN, hal. 1", "/konsol/kehadiran/jp?tahun=2026"),
        ("JP per ASN, hal. tengah", f"/konsol/kehadiran/jp?tahun=2026&hal={middle_people}"),
        ("pertanyaan, hal. 1", "/konsol/pertanyaan"),
        ("pertanyaan, hal. tengah", "/konsol/pertanyaan?hal=27"),
        ("pengumuman, hal. 1", "/konsol/pengumuman"),
        ("pengumuman, hal. tengah", "/konsol/pengumuman?hal=6"),
        ("FAQ", "/konsol/faq"),
        ("audit, hal. 1", "/konsol/audit"),
        ("audit, hal. tengah", "/konsol/audit?hal=400"),
        ("jadwal bulan", "/konsol/jadwal?bulan=2026-06"),
    ]


def _heavy() -> list[tuple[str, str]]:
    return [
        ("grafik bulan (PNG)", "/konsol/kehadiran/grafik.png?bulan=2026-06"),
        ("grafik satu sesi (PNG)", "/konsol/kehadiran/sesi/120/grafik.png"),
        ("ekspor satu sesi, XLSX (4.000 baris)", "/konsol/kehadiran/ekspor?sesi=120&format=xlsx"),
        ("ekspor sebulan, CSV ;", "/konsol/kehadiran/ekspor?dari=2026-06-01&sampai=2026-06-30"
                                  "&format=csv&sep=;"),
        ("evaluasi satu sesi, XLSX", "/konsol/kehadiran/sesi/120/evaluasi/ekspor?format=xlsx"),
        ("contoh sertifikat (PDF)", "/konsol/jadwal/sesi/120/contoh-sertifikat"),
        ("ekspor SIASN setahun, CSV", "/konsol/kehadiran/siasn?tahun=2026&format=csv"),
    ]


def _time(client: httpx.Client, path: str, repeat: int, warm: int) -> list[float]:
    for _ in range(warm):
        client.get(path).raise_for_status()
    took = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        took.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
    return took


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(url: str, repeat: int) -> None:
    """Start the server process, sign in, time every page; print a Markdown table."""
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([sys.executable, "-m", "bench.konsol_pages", "--db", url,
                               "--serve", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the konsol server did not start")
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=120, follow_redirects=True) as client:
            token = asyncio.run(_link(url))
            shown = client.get(f"/konsol/masuk/{token}")
            pre = shown.text.split('name="csrf" value="')[1].split('"')[0]
            client.post(f"/konsol/masuk/{token}", data={"csrf": pre}).raise_for_status()
            print("| page | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|")
            for name, path in _pages():
                took = _time(client, path, repeat, 3)
                print(f"| {name} | {statistics.median(took):.0f} | {_p95(took):.0f} | "
                      f"{max(took):.0f} |", flush=True)
            print("\n| chart or export | p50 ms | max ms | bytes |\n|---|---:|---:|---:|")
            for name, path in _heavy():
                took = _time(client, path, max(3, repeat // 5), 1)
                size = len(client.get(path).content)
                print(f"| {name} | {statistics.median(took):.0f} | {max(took):.0f} | "
                      f"{size:,} |", flush=True)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    """Seed (once), then measure; `--serve PORT` is the server process."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="a SQLite file or a PostgreSQL URL")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    url = _url(args.db)
    if args.serve:
        asyncio.run(serve(url, args.serve))
        return
    asyncio.run(seed(url))
    measure(url, args.repeat)


if __name__ == "__main__":
    main()

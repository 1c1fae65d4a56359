"""Measure `dahar-ngopi absensi export` on a large SQLite database: time and peak memory.

Seeds N attendance rows (people x sessions in one month) straight into a migrated
database, then runs the real command line in a child process for CSV and XLSX and reports
its wall time, rows per second, file size and peak resident memory (ru_maxrss of the child).
The file is read back to count its rows. Run from the repository root::

    .venv/bin/python -m bench.attendance_export [--rows 1000000] [--formats csv,xlsx]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from db.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
PROGRAMMES = ("forum-berbagi-ilmu", "asn-bertanya", "asn-mengaji", "asn-belajar",
              "asn-sehat-bugar")


def seed(path: Path, rows: int, sessions: int = 50) -> None:
    """`rows` attendance rows: rows/sessions people, each at every session of Nov 2026."""
    upgrade(f"sqlite+aiosqlite:///{path}")
    people = max(1, rows // sessions)
    now = datetime(2026, 11, 1, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    with con:
        for weekday, key in enumerate(PROGRAMMES):
            con.execute("INSERT INTO programmes (key, weekday, name, description) "
                        "VALUES (?, ?, ?, '')", (key, weekday, key.replace("-", " ").title()))
        days = [d for d in (date(2026, 11, 1) + timedelta(days=i) for i in range(30))
                if d.weekday() < 5]
        for i in range(sessions):
            day = days[i % len(days)]
            start = datetime(day.year, day.month, day.day, 2 + i // len(days), tzinfo=UTC)
            con.execute(
                "INSERT INTO learning_sessions (id, code, day, programme_key, title, starts_at, "
                "ends_at, jp, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 2, 'aktif', ?)",
                (i + 1, f"S{i + 1:03d}", day.isoformat(), PROGRAMMES[day.weekday()],
                 f"Sesi nomor {i + 1} tentang pengembangan kompetensi ASN",
                 start.strftime("%Y-%m-%d %H:%M:%S.000000"),
                 (start + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S.000000"), now),
            )
        con.executemany(
            "INSERT INTO people (id, full_name, nip, instansi, region_code, tz, subscribed, "
            "reachable, preferences, created_at, registered_at) "
            "VALUES (?, ?, ?, ?, '3515', 'WIB', 1, 1, '{}', ?, ?)",
            ((p + 1, f"Peserta Nomor {p + 1}", f"{198500000000000000 + p}" if p % 10 else None,
              f"Dinas Pendidikan Kabupaten {p % 38}", now, now) for p in range(people)),
        )
    for s in range(sessions):
        with con:
            con.executemany(
                "INSERT INTO attendance (person_id, session_id, reported_at, channel, source) "
                "VALUES (?, ?, ?, 'telegram', 'self')",
                ((p + 1, s + 1, now) for p in range(people)),
            )
    con.close()


def run_export(db: Path, fmt: str, out: Path) -> dict[str, Any]:
    """The CLI in a child process; its wall time and peak memory (VmHWM, polled)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
           "SAMPLE_CALENDAR": "false", "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "absensi", "export", "--from", "2026-11-01", "--to",
         "2026-11-30", "--format", fmt, "--sep", ";", "-o", str(out)],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )
    peak_kb = 0
    while child.poll() is None:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
        except OSError:
            break
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak_kb = max(peak_kb, int(line.split()[1]))
        time.sleep(0.2)
    _, err = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"export failed: {err}")
    seconds = time.perf_counter() - started
    return {"format": fmt, "seconds": round(seconds, 1),
            "size_mb": round(out.stat().st_size / 2**20, 1),
            "peak_rss_mb": round(peak_kb / 1024, 1), "cli_said": err.strip().splitlines()[-1]}


def count_rows(path: Path, fmt: str) -> int:
    """Data rows in the file, read back."""
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            return sum(1 for _ in csv.reader(f, delimiter=";")) - 1
    # Count <row> elements of each data sheet without loading the workbook.
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet") and not name.endswith("sheet1.xml"):
                with zf.open(name) as sheet:
                    total += io.TextIOWrapper(sheet, encoding="utf-8").read().count("<row ") - 1
    return total


def main(argv: list[str] | None = None) -> int:
    """Seed, export in each format, print JSON."""
    parser = argparse.ArgumentParser(description="Large attendance exports")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"rows": args.rows, "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        db = Path(folder) / "big.db"
        started = time.perf_counter()
        seed(db, args.rows)
        results["seed_seconds"] = round(time.perf_counter() - started, 1)
        results["db_mb"] = round(db.stat().st_size / 2**20, 1)
        for fmt in args.formats.split(","):
            out = Path(folder) / f"absensi.{fmt}"
            run = run_export(db, fmt, out)
            run["rows_in_file"] = count_rows(out, fmt)
            run["rows_per_second"] = round(run["rows_in_file"] / run["seconds"])
            results["runs"].append(run)
            out.unlink()
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure "Saya hadir" presses through the core dispatcher alone (no Telegram, no HTTP).

Shows what the batch path buys on SQLite: the same presses handled one unit of work each
(`--no-batch`) or together. Run from the repository root::

    .venv/bin/python -m bench.attendance_core [--people 3000] [--concurrency 1,16,64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.attendance_presses import FIRST_USER, SECRET, _seed
from bot.runtime import build_runtime
from bot.settings import load_settings
from core.clock import SystemClock
from core.types import Incoming
from handlers.attendance import AttendPress


async def measure(people: int, concurrency: int, batch: bool) -> dict[str, Any]:
    """Press once for each of `people`, `concurrency` at a time; presses per second and CPU."""
    with tempfile.TemporaryDirectory(prefix="bench-core-") as folder:
        settings = load_settings({
            "DATABASE_URL": f"sqlite+aiosqlite:///{Path(folder) / 'core.db'}",
            "CALLBACK_SECRET": SECRET, "SAMPLE_CALENDAR": "false",
        })
        rt = await build_runtime(settings, SystemClock())
        try:
            session_id, _, person_ids = await _seed(rt, people)
            if not batch:
                rt.dispatcher._batchers.clear()
            presses = iter([
                Incoming("telegram", str(FIRST_USER + i), str(FIRST_USER + i),
                         callback=rt.deps.signer.sign(str(pid), AttendPress(session_id).pack()),
                         callback_id=str(i))
                for i, pid in enumerate(person_ids)
            ])
            wrong = 0

            async def worker() -> None:
                nonlocal wrong
                for inc in presses:
                    replies = await rt.dispatcher.handle(inc)
                    if "tercatat" not in (replies[0].notice or ""):
                        wrong += 1

            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            await rt.close()
    return {"path": "batch" if batch else "one by one", "concurrency": concurrency,
            "presses_per_s": round(people / wall), "cpu_ms_per_press": round(cpu / people * 1e3, 2),
            "wrong": wrong}


def main(argv: list[str] | None = None) -> int:
    """Both paths at each concurrency; print JSON lines."""
    parser = argparse.ArgumentParser(description="Presses through the core dispatcher")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--concurrency", default="1,16,64")
    args = parser.parse_args(argv)
    for conc in (int(c) for c in args.concurrency.split(",")):
        for batch in (False, True):
            print(json.dumps(asyncio.run(measure(args.people, conc, batch))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

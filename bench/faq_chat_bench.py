"""The FAQ through the whole chat path: eval figures as people would see them, and latency.

Every eval question is typed by one registered Telegram user into the core dispatcher
(identity lookup, FAQ version check, match, lookup row written, commit) on a fresh SQLite
database; Telegram, because the terminal channel reads a leading "menu ..." as a command.
The outcome is read back from the `faq_lookups` rows, so the figures are those of the chat,
not of the matcher alone. Run: `PYTHONPATH=. .venv/bin/python bench/faq_chat_bench.py`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot.runtime import build_runtime
from bot.settings import load_settings
from core.clock import FixedClock
from core.types import Incoming
from db.models import FaqLookup
from db.people import get_or_create_identity
from handlers.faq_store import FaqService
from tests.conftest import MONDAY_MORNING


async def run(items: list[dict[str, Any]]) -> None:
    """Build a runtime on a temporary database and send every eval question through it."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        settings = load_settings({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
        clock = FixedClock(MONDAY_MORNING)
        t0 = time.perf_counter()
        rt = await build_runtime(settings, clock)
        print(f"runtime with migrations and FAQ seeding: {time.perf_counter() - t0:.2f} s")
        try:
            async with rt.sessions() as s, s.begin():
                _i, person = await get_or_create_identity(s, "telegram", "77", "77",
                                                          clock.now())
                person.registered_at, person.full_name = clock.now(), "Bench"
            async with rt.sessions() as s:
                t0 = time.perf_counter()
                await FaqService().index(s)
                print(f"FAQ index built from the database: {time.perf_counter() - t0:.3f} s")
            latencies = []
            for item in items:
                inc = Incoming("telegram", "77", "77", text=str(item["q"]))
                t0 = time.perf_counter()
                await rt.dispatcher.handle(inc)
                latencies.append(time.perf_counter() - t0)
            async with rt.sessions() as s:
                rows = list((await s.execute(select(FaqLookup).order_by(FaqLookup.id))).scalars())
        finally:
            await rt.close()
    by_text = {r.text: r for r in rows}
    ins = [(i["q"], i["id"]) for i in items if i["id"]]
    oos = [i["q"] for i in items if not i["id"]]
    right = sum(1 for q, want in ins
                if by_text[q].kind == "single" and by_text[q].entry_id == want)
    offered = sum(1 for q, want in ins if by_text[q].kind == "several"
                  and want in (by_text[q].candidates or "").split(","))
    false = [q for q in oos if q in by_text and by_text[q].kind != "none"]
    greeted = len(items) - len(rows)  # greetings are answered but not logged
    print(f"in scope: {right}/{len(ins)} = {right / len(ins):.1%} answered with the right "
          f"entry; {offered} more offered it among candidates")
    print(f"out of scope: {len(false)}/{len(oos)} = {len(false) / len(oos):.1%} got an entry "
          f"or candidates; greetings not logged: {greeted}")
    ms = sorted(x * 1000 for x in latencies)
    print(f"per message, whole chat path ({len(ms)} messages): median {statistics.median(ms):.1f}"
          f" ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms, max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/faq_eval.yaml")
    asyncio.run(run(yaml.safe_load(path.read_text(encoding="utf-8"))))

"""The metrics' parts: scheduler runs, chat 429s, the multiprocess directory main prepares,
and the text a scrape gives when the database does not answer."""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.counters import watch_scheduler
from bot.flow import ChannelFlow
from bot.metrics import (
    ANSWER_SECONDS,
    MESSAGES,
    RATE_LIMITED,
    REPLIES,
    SCHEDULER_RUNS,
    UPDATES,
    Figures,
    multiprocess_dir,
    read_figures,
    render,
)
from bot.metrics_dir import ENV, prepare_multiprocess_dir
from bot.pacing import ChannelLimits
from bot.settings import SettingsError, load_settings
from core.clock import FixedClock
from db.engine import Sessions, create_engine, create_sessions
from db.figures import OutboxBacklog
from tests.auxil.metrics import sample
from tests.auxil.processes import ROOT, until


def current() -> str:
    """What /metrics would show now for this process's counters (in either mode)."""
    return render(Figures(leader=False), multiprocess_dir()).decode()


async def test_scheduler_runs_are_counted_by_job_and_outcome() -> None:
    before = current()
    scheduler = AsyncIOScheduler(timezone="UTC")
    watch_scheduler(scheduler)

    async def fine() -> None:
        return None

    async def broken() -> None:
        raise RuntimeError("the job failed")

    scheduler.add_job(fine, id="metrics-fine")
    scheduler.add_job(broken, id="metrics-broken")
    scheduler.start()
    try:
        def runs(job: str, outcome: str) -> float:
            name = "dahar_ngopi_scheduler_runs_total"
            return (sample(current(), name, job=job, outcome=outcome)
                    - sample(before, name, job=job, outcome=outcome))

        await until(lambda: runs("metrics-fine", "ok") == 1
                    and runs("metrics-broken", "error") == 1, 10, "both runs counted")
        assert runs("metrics-fine", "error") == 0 and runs("metrics-broken", "ok") == 0
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


async def test_a_chat_told_to_wait_is_a_chat_429(sessions: Sessions) -> None:
    before = current()
    flow = ChannelFlow(sessions, "metrics-test", ChannelLimits(rate=None, chat_rate=1.0))
    flow.hold_chat("42", 3.0)
    await flow.pause(0.01)
    name = "dahar_ngopi_rate_limited_total"
    after = current()
    for scope in ("chat", "channel"):
        labels = {"channel": "metrics-test", "scope": scope}
        assert sample(after, name, **labels) - sample(before, name, **labels) == 1
    assert flow.chat_delay("42") > 2


def test_an_operators_directory_is_used_as_given(tmp_path: Path) -> None:
    given = tmp_path / "shared" / "prometheus"
    environ = {ENV: str(given)}
    assert prepare_multiprocess_dir(environ, base=tmp_path / "base") is None
    assert environ[ENV] == str(given) and given.is_dir()
    assert not (tmp_path / "base").exists()


def test_each_process_gets_a_directory_and_stale_ones_go(tmp_path: Path) -> None:
    base = tmp_path / "base"
    dead = base / "999999999-x"
    alive = base / f"{os.getppid()}-y"  # the process that started this one: alive
    for folder in (dead, alive):
        folder.mkdir(parents=True)
        (folder / "counter_1.db").write_bytes(b"")
    environ: dict[str, str] = {}
    own = prepare_multiprocess_dir(environ, base=base)
    assert own is not None and own.is_dir() and own.parent == base
    assert own.name.startswith(f"{os.getpid()}-") and environ[ENV] == str(own)
    assert not dead.exists() and alive.exists()
    assert oct(own.stat().st_mode & 0o777) == oct(0o700)  # only this user


async def test_a_scrape_without_the_database_says_so(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/nothing.db")
    try:
        figures = await read_figures(create_sessions(engine),
                                     FixedClock(datetime(2026, 11, 23, 1, tzinfo=UTC)),
                                     ZoneInfo("Asia/Jakarta"),
                                     leader=True)
    finally:
        await engine.dispose()
    text = render(figures, multiprocess_dir()).decode()
    assert sample(text, "dahar_ngopi_database_up") == 0
    assert sample(text, "dahar_ngopi_leader") == 1
    assert "dahar_ngopi_outbox_due" not in text  # no figure rather than a wrong 0
    assert "dahar_ngopi_messages" in text  # the process's own counters still answer


def defined_metrics() -> set[str]:
    """The names of every metric /metrics can give."""
    figures = Figures(leader=True, backlog=[OutboxBacklog("telegram", 0, 1, 1, 1.0)],
                      attendance_today={"telegram": 1})
    names = {m.name for m in figures.collect()}
    for metric in (MESSAGES, RATE_LIMITED, REPLIES, UPDATES, ANSWER_SECONDS, SCHEDULER_RUNS):
        names.update(m.name for m in metric.describe())
    return names


def used_in(text: str) -> set[str]:
    found = set(re.findall(r"\bdahar_ngopi_[a-z_]+", text))
    return {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in found}


def test_the_dashboard_and_the_docs_name_real_metrics() -> None:
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    defined = defined_metrics()
    assert used_in("\n".join(exprs)) - defined == set()
    docs = (ROOT / "docs" / "metrics.md").read_text()
    assert used_in(docs) - defined == set()
    # Every metric is documented and on the dashboard.
    assert defined - used_in(docs) == set()
    assert defined - used_in("\n".join(exprs)) == set()


def test_metrics_token_setting() -> None:
    assert load_settings({"METRICS_TOKEN": ""}).metrics_token is None  # as in .env.example
    token = load_settings({"METRICS_TOKEN": "a" * 24}).metrics_token
    assert token is not None and token.get_secret_value() == "a" * 24
    for weak in ("short", "has a space in it 0123"):
        with pytest.raises(SettingsError) as refused:
            load_settings({"METRICS_TOKEN": weak})
        assert "METRICS_TOKEN" in str(refused.value) and weak not in str(refused.value)

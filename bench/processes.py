"""Several `dahar-ngopi run` processes on one database: scale, stop time, takeover time.

The fake Telegram Bot API runs in its own process; the bot runs as real processes
(`python -m bot run`), in webhook mode so that any number can receive (polling allows one).

- **scale**: N processes (1, 2, 3) on PostgreSQL; a burst of updates (registered people
  sending /menu) POSTed to them round-robin, as a load balancer would spread Telegram's
  deliveries; answers per second and time to answer (from the POST to the fake receiving
  the answer), CPU per message of the bot processes and of PostgreSQL;
- **stop**: one process (long polling) with a backlog queued at the fake: the time from
  SIGTERM to its exit; then a restart answers the rest;
- **takeover**: three processes, the scheduler's leader killed (SIGKILL): the time until
  another leads (PostgreSQL: the advisory lock; SQLite: the lease).

    .venv/bin/python -m bench.processes scale --database-url postgresql+asyncpg://… [--n 10000]
    .venv/bin/python -m bench.processes stop [--database-url …] [--backlog 20000]
    .venv/bin/python -m bench.processes takeover [--database-url …] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

from bench.burst import database
from bench.fake_ceiling import FakeServer, server_stats, start_fake_server_process
from db.engine import Sessions, create_engine, create_sessions
from db.leader import holder_of_lock
from db.migrate import upgrade
from db.models import Identity, Person, ProcessHeartbeat, TelegramUpdate
from tests.auxil.processes import BotProcess, until

FIRST_USER = 900_000_000
SECRET = "bench-processes-secret"


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process so far (Linux /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process of this machine (the database's work)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += _cpu(int(entry.name))
    return total


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


async def _seed(sessions: Sessions, people: int, first: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, people, 5000):
        chunk = range(start, min(people, start + 5000))
        async with sessions() as s, s.begin():
            ids = (await s.execute(insert(Person).returning(Person.id), [
                {"full_name": f"Peserta {i}", "tz": "WIB", "registered_at": now,
                 "consent_at": now, "subscribed": True, "reachable": True,
                 "preferred_channel": "telegram", "created_at": now,
                 "preferences": {"menu": False, "reminder": False}} for i in chunk])).scalars()
            await s.execute(insert(Identity), [
                {"person_id": pid, "channel": "telegram", "external_id": str(first + i),
                 "chat_id": str(first + i), "created_at": now}
                for pid, i in zip(list(ids), chunk, strict=True)])


def _env(db_url: str, server: FakeServer, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_API_URL": server.url, "CALLBACK_SECRET": "bench-processes-0123456789",
            "LOG_LEVEL": "WARNING", **extra}


def _webhook_env(db_url: str, server: FakeServer, port: int) -> dict[str, str]:
    return _env(db_url, server, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port),
                TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
                TELEGRAM_WEBHOOK_SECRET=SECRET)


async def _healthy(http: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


@contextlib.asynccontextmanager
async def _processes(folder: Path, db_url: str, server: FakeServer, n: int
                     ) -> AsyncIterator[tuple[list[BotProcess], list[int]]]:
    """N `run` processes in webhook mode, each on its own port, ready."""
    ports = _free_ports(n)
    procs = [BotProcess(folder, f"run{i}", _webhook_env(db_url, server, port))
             for i, port in enumerate(ports)]
    try:
        for p in procs:
            await p.start()
        async with aiohttp.ClientSession() as http:
            for port in ports:
                await until(lambda port=port: _healthy(http, port), 120, "a process's server")
        yield procs, ports
    finally:
        for p in procs:
            await p.close()


async def _post(ports: list[int], users: list[int], seq: int) -> dict[int, float]:
    """POST one /menu per user, spread round-robin; return when each was posted."""
    posted: dict[int, float] = {}
    queue = iter(enumerate(users))

    async def poster(http: aiohttp.ClientSession) -> None:
        for i, user in queue:
            update = {"update_id": seq + i, "message": {
                "message_id": 1, "date": 1, "text": "/menu",
                "chat": {"id": user, "type": "private"},
                "from": {"id": user, "is_bot": False, "first_name": "Peserta"}}}
            posted[user] = time.monotonic()
            url = f"http://127.0.0.1:{ports[i % len(ports)]}/telegram/webhook"
            async with http.post(url, json=update) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"webhook answered {resp.status}")

    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession(headers=headers) as http:
        await asyncio.gather(*(poster(http) for _ in range(64)))
    return posted


async def _answers(url: str, want: int, limit: float) -> dict[int, float]:
    found: dict[int, float] = {}
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while len(found) < want:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{want - len(found)} of {want} not answered in {limit} s")
            await asyncio.sleep(0.1)
            async with http.get(f"{url}/__first_answers") as resp:
                found.update({int(k): v for k, v in (await resp.json())["result"].items()})
    return found


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def scale_once(folder: Path, url: str | None, n_procs: int, people: int
                     ) -> dict[str, Any]:
    """A burst of `people` /menu through `n_procs` processes on a fresh database."""
    async with database(url) as db_url:
        await asyncio.to_thread(upgrade, db_url)
        engine = create_engine(db_url)
        await _seed(create_sessions(engine), people + 300, FIRST_USER)
        await engine.dispose()
        with start_fake_server_process(time_answers=True) as server:
            async with _processes(folder, db_url, server, n_procs) as (procs, ports):
                warm = [FIRST_USER + people + i for i in range(300)]
                await _post(ports, warm, 1)
                await _answers(server.url, len(warm), 120)
                load = os.getloadavg()[0]
                cpu = [_cpu(p.pid) for p in procs]
                pg = _postgres_cpu()
                users = [FIRST_USER + i for i in range(people)]
                posted = await _post(ports, users, 1000)
                answered = await _answers(server.url, people, 600)
                cpu = [_cpu(p.pid) - c for p, c in zip(procs, cpu, strict=True)]
                pg = _postgres_cpu() - pg
                for p in procs:
                    await p.terminate()
            lags = [answered[u] - posted[u] for u in users]
            first, last = min(posted.values()), max(answered[u] for u in users)
            return {
                "processes": n_procs, "people": people, "load_before": round(load, 2),
                "posted_in_s": round(max(posted.values()) - first, 2),
                "drained_in_s": round(last - first, 2),
                "per_s": round(people / (last - first)),
                "p50_ms": round(_pct(lags, 50) * 1000), "p95_ms": round(_pct(lags, 95) * 1000),
                "bot_cpu_ms_per_message": round(sum(cpu) / people * 1000, 2),
                "postgres_cpu_ms_per_message": round(pg / people * 1000, 2),
                "stopped_in_s": [round(p.stopped_in or 0, 2) for p in procs],
                "load_after": round(os.getloadavg()[0], 2),
                "fake": server_stats(server.url)["by_method"],
            }


async def stop_once(folder: Path, url: str | None, backlog: int) -> dict[str, Any]:
    """SIGTERM one polling process with `backlog` updates waiting; then restart."""
    async with database(url) as db_url:
        await asyncio.to_thread(upgrade, db_url)
        engine = create_engine(db_url)
        await _seed(create_sessions(engine), backlog, FIRST_USER)
        await engine.dispose()
        with start_fake_server_process(time_answers=True) as server:
            async with aiohttp.ClientSession() as http:
                for i in range(0, backlog, 2000):
                    body = [{"user_id": FIRST_USER + j, "text": "/menu"}
                            for j in range(i, min(backlog, i + 2000))]
                    async with http.post(f"{server.url}/__inject", json=body) as resp:
                        await resp.read()
            first = await BotProcess(folder, "first", _env(db_url, server)).start()
            found: dict[int, float] = {}
            try:
                await until(lambda: _more(server.url, found, 1000), 300, "1,000 answered")
                load = os.getloadavg()[0]
                code = await first.terminate()
                await _more(server.url, found, 0)
            finally:
                await first.close()
            at_telegram = server_stats(server.url)["pending_updates"]
            stored = await _open_updates(db_url)
            second = await BotProcess(folder, "second", _env(db_url, server)).start()
            try:
                start = time.monotonic()
                await until(lambda: _all(server.url, backlog), 600, "the backlog")
                rest = time.monotonic() - start
                await second.terminate()
            finally:
                await second.close()
    return {"backlog": backlog, "answered_before_sigterm": len(found), "load": round(load, 2),
            "sigterm_to_exit_s": round(first.stopped_in or 0, 2), "exit_code": code,
            "after_the_stop": {"still_at_telegram": at_telegram, "stored_unanswered": stored},
            "restart_answered_the_rest_in_s": round(rest, 1)}


async def _open_updates(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        async with create_sessions(engine)() as db:
            found = await db.scalar(select(func.count()).select_from(TelegramUpdate).where(
                TelegramUpdate.status.in_(("pending", "handled"))))
            return int(found or 0)
    finally:
        await engine.dispose()


async def _more(url: str, found: dict[int, float], want: int) -> bool:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/__first_answers") as resp:
        found.update({int(k): v for k, v in (await resp.json())["result"].items()})
    return len(found) >= want


async def _all(url: str, want: int) -> bool:
    return server_stats(url)["by_method"].get("sendMessage", 0) >= want


async def takeover_once(folder: Path, url: str | None) -> dict[str, Any]:
    """Three processes; kill the leader; how long until another leads."""
    async with database(url) as db_url:
        await asyncio.to_thread(upgrade, db_url)
        engine = create_engine(db_url)
        sessions = create_sessions(engine)
        with start_fake_server_process() as server:
            async with _processes(folder, db_url, server, 3) as (procs, _):
                leader = await until_leader(sessions, None)
                by_pid = {p.pid: p for p in procs}
                victim = by_pid[int(leader.split(":")[-2])]
                victim.kill()
                killed = time.monotonic()
                await victim.wait()
                successor = await until_leader(sessions, leader)
                took = time.monotonic() - killed
                for p in procs:
                    if p is not victim:
                        await p.terminate()
        await engine.dispose()
    return {"database": "postgresql" if url else "sqlite", "takeover_s": round(took, 2),
            "old": leader, "new": successor}


async def until_leader(sessions: Sessions, other_than: str | None) -> str:
    """The leader's name, once there is one (other than `other_than`)."""
    found: list[str] = []

    async def check() -> bool:
        name = await _leader(sessions)
        if name is not None and name != other_than:
            found.append(name)
            return True
        return False

    await until(check, 120, "a leader")
    return found[0]


async def _leader(sessions: Sessions) -> str | None:
    async with sessions() as db:
        if db.get_bind().dialect.name == "postgresql":
            holder = await holder_of_lock(db)
            return holder[1] if holder else None
        hb = ProcessHeartbeat
        return await db.scalar(select(hb.name).where(hb.leader_until > datetime.now(UTC)))


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-processes-") as tmp:
        folder = Path(tmp)
        if args.what == "scale":
            runs = [await scale_once(folder, args.database_url, n, args.n)
                    for n in args.processes]
            return {"scale": runs}
        if args.what == "stop":
            return {"stop": [await stop_once(folder, args.database_url, args.backlog)
                             for _ in range(args.repeat)]}
        runs = [await takeover_once(folder, args.database_url) for _ in range(args.repeat)]
        return {"takeover": runs,
                "median_s": statistics.median(r["takeover_s"] for r in runs)}


def main(argv: list[str] | None = None) -> int:
    """Run one measurement; print the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=["scale", "stop", "takeover"])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--n", type=int, default=10_000, help="updates of the scale burst")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = asyncio.run(_main(args))
    out = json.dumps(results, indent=2)
    print(out)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

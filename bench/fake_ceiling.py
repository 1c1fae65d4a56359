"""Measure raw sendMessage throughput against the fake Telegram server in its own process.

This is the ceiling for every later Telegram benchmark: no bot code, just an HTTP client
posting PTB-shaped form bodies. Run from the repository root::

    .venv/bin/python -m bench.fake_ceiling --n 20000

Add `--ptb 5000` to also time `Bot.send_message` through python-telegram-bot with
AiohttpRequest and HTTPXRequest. Importable pieces: `start_fake_server_process`,
`measure_aiohttp`, `measure_httpx`, `measure_ptb`, `server_stats`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram.request import AiohttpRequest
from tests.fakes.telegram_server import FAKE_TOKEN

__all__ = [
    "FakeServer",
    "Measurement",
    "measure_aiohttp",
    "measure_httpx",
    "measure_ptb",
    "server_stats",
    "start_fake_server_process",
]

ROOT = Path(__file__).resolve().parent.parent
TEXT = "Selamat pagi Bapak/Ibu. Menu hari ini: <b>ASN Belajar</b>, pukul 09.00 WIB."


@dataclass(frozen=True)
class FakeServer:
    """A fake Telegram server running in a child process."""

    url: str
    token: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """User+system CPU time the server process has used (Linux /proc), or None."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


@dataclass(frozen=True)
class Measurement:
    """One throughput run."""

    client: str
    connections: int
    requests: int
    errors: int
    seconds: float
    server_cpu_seconds: float | None

    @property
    def rps(self) -> float:
        """Requests per second seen by the client."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_capacity(self) -> float | None:
        """Requests per second one core of the server could answer (requests / its CPU time)."""
        if not self.server_cpu_seconds:
            return None
        return self.requests / self.server_cpu_seconds

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            **asdict(self),
            "rps": round(self.rps),
            "server_capacity": _round(self.server_capacity),
        }


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


@contextlib.contextmanager
def start_fake_server_process(
    *,
    rate_limit: int | None = None,
    latency_ms: float = 0.0,
    token: str = FAKE_TOKEN,
    record: bool = False,
    time_answers: bool = False,
) -> Iterator[FakeServer]:
    """Run `python -m tests.fakes.telegram_server` in a child process; yield its url and token."""
    command = [sys.executable, "-m", "tests.fakes.telegram_server", "--port", "0", "--token", token]
    command.append("--stop-on-eof")  # so a killed bench does not leave the server running
    if rate_limit is not None:
        command += ["--rate-limit", str(rate_limit)]
    if latency_ms:
        command += ["--latency-ms", str(latency_ms)]
    if record:
        command.append("--record")
    if time_answers:
        command.append("--time-answers")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"fake server did not start (printed {line!r})")
        yield FakeServer(url=f"http://127.0.0.1:{int(line)}", token=token, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def server_stats(url: str, *, reset: bool = False) -> dict[str, Any]:
    """GET /__stats (or /__reset) of a fake server."""
    with urllib.request.urlopen(f"{url}/{'__reset' if reset else '__stats'}", timeout=5) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data


def _body(i: int) -> dict[str, str]:
    # The form PTB sends: every value a string, markup would be a JSON string.
    return {"chat_id": str(100_000 + i % 5000), "text": TEXT, "parse_mode": "HTML"}


async def _run(n: int, conns: int, one: Callable[[int], Awaitable[bool]]) -> tuple[int, float]:
    counter = iter(range(n))
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            if not await one(i):
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return errors, time.perf_counter() - start


async def measure_aiohttp(
    url: str, token: str, n: int, conns: int, *, server: FakeServer | None = None
) -> Measurement:
    """POST n sendMessage requests over `conns` keep-alive aiohttp connections."""
    endpoint = f"{url}/bot{token}/sendMessage"
    connector = aiohttp.TCPConnector(limit=conns)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> bool:
            async with session.post(endpoint, data=_body(i)) as response:
                await response.read()
                return response.status == 200

        await _run(conns * 4, conns, one)  # warm the pool
        cpu0 = server.cpu_seconds() if server else None
        errors, seconds = await _run(n, conns, one)
        cpu1 = server.cpu_seconds() if server else None
    used = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return Measurement("aiohttp", conns, n, errors, seconds, used)


async def measure_httpx(
    url: str, token: str, n: int, conns: int, *, server: FakeServer | None = None
) -> Measurement:
    """POST n sendMessage requests over at most `conns` keep-alive httpx connections."""
    endpoint = f"{url}/bot{token}/sendMessage"
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(i: int) -> bool:
            response = await client.post(endpoint, data=_body(i))
            return response.status_code == 200

        await _run(conns * 4, conns, one)
        cpu0 = server.cpu_seconds() if server else None
        errors, seconds = await _run(n, conns, one)
        cpu1 = server.cpu_seconds() if server else None
    used = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return Measurement("httpx", conns, n, errors, seconds, used)


async def measure_ptb(
    url: str,
    token: str,
    n: int,
    conns: int,
    *,
    request: str = "aiohttp",
    server: FakeServer | None = None,
) -> Measurement:
    """n `Bot.send_message` calls through PTB with AiohttpRequest or HTTPXRequest."""
    backend: BaseRequest
    if request == "aiohttp":
        backend = AiohttpRequest(connection_pool_size=conns, pool_timeout=60)
    else:
        backend = HTTPXRequest(connection_pool_size=conns, pool_timeout=60)
    async with Bot(token, base_url=f"{url}/bot", request=backend) as bot:

        async def one(i: int) -> bool:
            await bot.send_message(100_000 + i % 5000, TEXT, parse_mode="HTML")
            return True

        await _run(conns * 4, conns, one)
        cpu0 = server.cpu_seconds() if server else None
        errors, seconds = await _run(n, conns, one)
        cpu1 = server.cpu_seconds() if server else None
    used = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return Measurement(f"ptb+{request}", conns, n, errors, seconds, used)


async def _main(n: int, ptb_n: int) -> list[Measurement]:
    results = []
    with start_fake_server_process() as server:
        url, token = server.url, server.token
        results.append(await measure_aiohttp(url, token, n, 64, server=server))
        results.append(await measure_httpx(url, token, n, 64, server=server))
        results.append(await measure_httpx(url, token, n, 1, server=server))
        for request in ("aiohttp", "httpx") if ptb_n else ():
            for conns in (64, 1):
                results.append(
                    await measure_ptb(url, token, ptb_n, conns, request=request, server=server)
                )
        stats = server_stats(url)
    expected = sum(m.requests + m.connections * 4 for m in results)
    if stats["by_method"].get("sendMessage") != expected:
        raise RuntimeError(f"server counted {stats['by_method']} requests, expected {expected}")
    return results


def main(argv: list[str] | None = None) -> None:
    """Run the measurements and print a table and a JSON line."""
    parser = argparse.ArgumentParser(description="Ceiling of the fake Telegram server")
    parser.add_argument("--n", type=int, default=20_000, help="requests per raw measurement")
    parser.add_argument(
        "--ptb", type=int, default=0, metavar="N", help="also N Bot.send_message calls per backend"
    )
    args = parser.parse_args(argv)
    results = asyncio.run(_main(args.n, args.ptb))
    row = "{:<12} {:>5} {:>8} {:>6} {:>8} {:>18}"
    print(row.format("client", "conns", "requests", "errors", "req/s", "server req/s/core"))
    for m in results:
        capacity = "-" if m.server_capacity is None else f"{m.server_capacity:,.0f}"
        print(row.format(m.client, m.connections, m.requests, m.errors, f"{m.rps:,.0f}", capacity))
    print(json.dumps({"n": args.n, "ptb_n": args.ptb, "results": [m.as_dict() for m in results]}))


if __name__ == "__main__":
    main()

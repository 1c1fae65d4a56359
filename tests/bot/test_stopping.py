"""Stopping in seconds: signals, the watchdog, and waiting on what cannot be cancelled."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bot.stopping import EXIT_CODE, first_of

ROOT = Path(__file__).resolve().parents[2]


async def child(*args: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.auxil.stopping_child", *args, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"ready\n"
    return proc


async def test_sigterm_stops_and_a_hung_stop_is_ended_by_the_watchdog() -> None:
    clean = await child()
    clean.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(clean.wait(), 10) == 0

    hung = await child("--hang")
    start = time.monotonic()
    hung.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(hung.wait(), 10) == EXIT_CODE  # the watchdog (1 s here)
    assert time.monotonic() - start < 5

    twice = await child("--hang")
    twice.send_signal(signal.SIGINT)
    assert twice.stdout is not None
    assert await asyncio.wait_for(twice.stdout.readline(), 10) == b"stopping\n"
    twice.send_signal(signal.SIGINT)  # a second Ctrl-C ends it at once
    assert await asyncio.wait_for(twice.wait(), 0.9) == EXIT_CODE


async def test_first_of_gives_up_waiting_when_stopped() -> None:
    stop = asyncio.Event()
    assert await first_of(asyncio.sleep(0, result="baris"), stop) == "baris"
    never = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(first_of(never, stop))
    await asyncio.sleep(0.05)
    stop.set()  # Ctrl-C while the terminal waits for a line
    assert await asyncio.wait_for(waiting, 1) is None
    assert never.cancelled()


async def test_ctrl_c_ends_a_terminal_waiting_for_a_line() -> None:
    chat = await child("--read")
    assert chat.stdin is not None and chat.stdout is not None
    chat.stdin.write(b"menu\n")
    assert await asyncio.wait_for(chat.stdout.readline(), 10) == b"read menu\n"
    start = time.monotonic()
    chat.send_signal(signal.SIGINT)  # while the next line is awaited: it never comes
    assert await asyncio.wait_for(chat.wait(), 10) == 0  # a clean exit, not the watchdog
    assert time.monotonic() - start < 5


async def test_ctrl_c_ends_dahar_ngopi_chat_at_once(db_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    chat = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    assert chat.stdin is not None and chat.stdout is not None
    chat.stdin.write(b"bantuan\n")
    while b"/menu" not in await asyncio.wait_for(chat.stdout.readline(), 60):
        pass  # the help text came back: the chat waits for the next line
    start = time.monotonic()
    chat.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(chat.wait(), 10) == 0
    assert time.monotonic() - start < 5

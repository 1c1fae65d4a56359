"""The bot as real processes (`python -m bot run|worker`) for the crash, stop and takeover tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import select

from db.engine import Sessions
from db.models import ProcessHeartbeat
from tests.fakes.telegram_server import FakeTelegram

__all__ = ["BotProcess", "answers_by_chat", "until"]

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One `dahar-ngopi` process; its log goes to a file beside the test's other files."""

    def __init__(self, folder: Path, label: str, env: Mapping[str, str],
                 command: str = "run") -> None:
        self.folder = folder
        self.label = label
        self.env = dict(env)
        self.command = command
        self.log = folder / f"{label}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.stopped_in: float | None = None  # seconds from SIGTERM to exit

    async def start(self) -> BotProcess:
        """Start it (the working folder has no .env: only `env` configures it)."""
        return await self.start_with([])

    async def start_with(self, arguments: list[str]) -> BotProcess:
        """Start it with more command-line arguments."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "WHATSAPP_", "DATABASE_URL", "TEST_"))}
        # Any free port for the internal listener (the konsol, /healthz): several processes
        # on one machine cannot all have 8081.
        env.update({"PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO", "ADMIN_HTTP_PORT": "0",
                    **self.env})
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", self.command, *arguments, cwd=self.folder,
                env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        return self

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.proc is not None
        return self.proc.pid

    async def name(self, sessions: Sessions, within: float = 30.0) -> str:
        """Its name among the processes (from its heartbeat row)."""
        name: str | None = None

        async def found() -> bool:
            nonlocal name
            async with sessions() as db:
                name = await db.scalar(select(ProcessHeartbeat.name)
                                       .where(ProcessHeartbeat.pid == self.pid))
            return name is not None

        await until(found, within, f"{self.label} has no heartbeat")
        assert name is not None
        return name

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def terminate(self, within: float = 30.0) -> int:
        """SIGTERM, then wait for the exit; note how long it took."""
        assert self.proc is not None
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), within)
        self.stopped_in = time.monotonic() - start
        return code

    async def wait(self, within: float = 30.0) -> int:
        """Wait for the exit."""
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), within)

    def log_text(self) -> str:
        """What it logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def close(self) -> None:
        """Make sure it is gone (a failed test must not leave it running)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def until(condition: Callable[[], object], within: float, what: str = "") -> float:
    """Wait until `condition()` (sync or async) is true; return the seconds it took."""
    start = time.monotonic()
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > within:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.1)


def answers_by_chat(tg: FakeTelegram, marker: str) -> Counter[int]:
    """How many messages containing `marker` each chat received."""
    return Counter(int(c.chat_id) for c in tg.calls_of("sendMessage")
                   if c.ok and c.chat_id and marker in (c.text or ""))

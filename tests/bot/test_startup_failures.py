"""`dahar-ngopi run` as a real process, started with each kind of start-up failure: one line,
exit code 2 for a setting and 1 for anything else, never a traceback, and no secret in any of
its output (at LOG_LEVEL=DEBUG, where the HTTP clients log the most)."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.whatsapp_server import FakeWhatsApp

TELEGRAM_TOKEN = "7345123987:AAHsecretTokenZq9Xw8Vu7Ts6Rr5Qp4Oo3N"
WA_TOKEN = "EAAGwaSecretAccessToken1234567890xyz"
SECRETS = {
    "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
    "WHATSAPP_ACCESS_TOKEN": WA_TOKEN,
    "WHATSAPP_APP_SECRET": "appsecret0123456789abcdef",
    "WHATSAPP_VERIFY_TOKEN": "verify-secret-4711",
    "TELEGRAM_WEBHOOK_SECRET": "hook-secret_99xq",
    "CALLBACK_SECRET": "callback-secret-key-123",
}
DB_PASSWORD = "pg-Secret-Pass-77"
# The token's two halves too: a log that split it at the colon would still leak it.
FRAGMENTS = ("AAHsecretTokenZq9Xw8Vu7Ts6Rr5Qp4Oo3N", "SecretAccessToken1234567890")


@dataclass
class Outcome:
    """What a finished process left."""

    code: int
    output: str
    seconds: float


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _run(folder: Path, settings: Mapping[str, str]) -> Outcome:
    """`python -m bot run` in `folder` with only `settings` (and PATH) in its environment."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder), "LOG_LEVEL": "DEBUG",
           **settings}
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=folder, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode is not None
    return Outcome(proc.returncode, out.decode(errors="replace"), time.monotonic() - started)


def _whatsapp(wa: FakeWhatsApp, port: int = 0) -> dict[str, str]:
    return {"WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id, "WHATSAPP_API_URL": wa.api_url,
            "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port)}


def _telegram(url: str) -> dict[str, str]:
    port = _closed_port()
    return {"TELEGRAM_API_URL": url,
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"}


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _stored_key(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM app_meta WHERE key = 'callback_key'").fetchone()
    assert row is not None, "the bot generated no callback key"
    return str(row[0])


@pytest.mark.slow
async def test_each_start_up_failure_is_one_line_with_its_exit_code_and_no_secret(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as tg_other, FakeTelegram(token=TELEGRAM_TOKEN) as tg, \
            FakeWhatsApp(token=WA_TOKEN) as wa, FakeWhatsApp(token="another-token-1") as wa_no:
        busy = socket.create_server(("127.0.0.1", 0))
        busy_port = int(busy.getsockname()[1])
        sqlite = f"sqlite+aiosqlite:///{tmp_path / 'port' / 'bot.db'}"
        keyless = {k: v for k, v in SECRETS.items() if k != "CALLBACK_SECRET"}
        cases = {
            # (settings, exit code, what the last line says)
            "token": ({**SECRETS, **_telegram(tg_other.url), **_whatsapp(wa)}, 2,
                      "Telegram rejected TELEGRAM_BOT_TOKEN (getMe at "),
            "unreachable": ({**SECRETS, **_telegram(f"http://127.0.0.1:{_closed_port()}"),
                             **_whatsapp(wa)}, 1, "cannot reach the Telegram Bot API"),
            "whatsapp": ({**{k: v for k, v in SECRETS.items() if "TELEGRAM" not in k},
                          **_whatsapp(wa_no)}, 2, "WhatsApp rejected WHATSAPP_ACCESS_TOKEN"),
            "scheme": ({**SECRETS, "DATABASE_URL": f"mysql://root:{DB_PASSWORD}@db/bot"}, 2,
                       "setting DATABASE_URL is invalid: unsupported database 'mysql'"),
            "database": ({**SECRETS, "DATABASE_URL": "postgresql+asyncpg://bot:"
                          f"{DB_PASSWORD}@127.0.0.1:{_closed_port()}/bot"}, 1,
                         "cannot open the database postgresql+asyncpg://bot:***@127.0.0.1:"),
            "port": ({**keyless, "TELEGRAM_API_URL": tg.url, **_whatsapp(wa, busy_port),
                      "DATABASE_URL": sqlite}, 1,
                     f"cannot listen on 127.0.0.1:{busy_port} (HTTP_HOST, HTTP_PORT): the port "
                     "is in use"),
        }
        try:
            outcomes = dict(zip(cases, await asyncio.gather(
                *(_run(tmp_path / name, env) for name, (env, _, _) in cases.items())),
                strict=True))
        finally:
            busy.close()
    secrets = [*SECRETS.values(), DB_PASSWORD, *FRAGMENTS,
               _stored_key(tmp_path / "port" / "bot.db")]
    for name, (_, code, line) in cases.items():
        got = outcomes[name]
        where = f"{name}: exit {got.code}\n{got.output}"
        assert got.code == code, where
        assert line in _last_line(got.output), where
        assert _last_line(got.output).startswith("dahar-ngopi: "), where
        assert "Traceback" not in got.output and "Unclosed" not in got.output, where
        leaked = [s for s in secrets if s in got.output]
        assert not leaked, f"{where}\nleaked: {leaked}"
    # Three tries over about 20 seconds before giving up on an unreachable Bot API.
    assert 18 <= outcomes["unreachable"].seconds < 60
    assert outcomes["unreachable"].output.count("does not answer") == 2
    assert outcomes["port"].output.count(tg.token) == 0 and tg.calls_of("getMe")

"""LOG_FORMAT=json: one JSON object per line on stdout, with what a line is about, through the
same redaction of secrets and NIPs as the text form (in-process, and `dahar-ngopi run` as a
real process at LOG_LEVEL=DEBUG against the fake Telegram server)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.logs import log_fields, setup_logging
from tests.auxil.processes import BotProcess, until
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "7345123987:AAHjsonLogTokenZq9Xw8Vu7Ts6Rr5Qp4Oo3N"
NIP = "198501012010011001"
MASKED = "1985**********1001"


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_fields_and_blank_secrets_and_nips(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", [TOKEN], fmt="json")
    log = logging.getLogger("bot.test")
    with log_fields(update_id=4711):
        log.info("handled a message from NIP %s", NIP)
        try:
            raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/sendMessage failed")
        except RuntimeError:
            log.exception("sending failed")
    log.warning("spaced NIP 19850101 201001 1 001 typed by a person")
    out = capsys.readouterr()
    assert out.err == ""  # the JSON form writes to stdout only
    first, failure, spaced = _lines(out.out)
    assert set(first) == {"time", "level", "logger", "message", "update_id"}
    assert (first["level"], first["logger"], first["update_id"]) == ("INFO", "bot.test", 4711)
    assert first["message"] == f"handled a message from NIP {MASKED}"
    assert str(first["time"]).endswith("+00:00")
    assert failure["update_id"] == 4711 and "RuntimeError" in str(failure["exc"])
    assert "bot***/sendMessage" in str(failure["exc"])
    assert "update_id" not in spaced and MASKED in str(spaced["message"])
    assert TOKEN not in out.out and "AAHjsonLogToken" not in out.out and NIP not in out.out


def test_the_text_form_names_the_fields_too(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", [], fmt="text")
    with log_fields(row_id=12):
        logging.getLogger("bot.test").info("delivered to NIP %s", NIP)
    err = capsys.readouterr().err
    assert f"bot.test: delivered to NIP {MASKED} [row_id=12]" in err


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_run_logs_json_only_without_secrets(db_url: str, tmp_path: Path) -> None:
    async with FakeTelegram(record=True) as tg:
        tg.user_message(5001, "/mulai", first_name="Sri")
        env = {"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": tg.token,
               "TELEGRAM_API_URL": tg.url, "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG",
               "ADMIN_HTTP_PORT": "0"}
        bot = BotProcess(tmp_path, "json", env)
        await bot.start()
        try:
            await until(lambda: bool(tg.calls_of("sendMessage")), 60, "the answer to /mulai")
            # A forged button: the bot logs the rejection while it handles that update.
            tg.press(5001, tg.calls_of("sendMessage")[0], data="x.forged", strict=False)
            await until(lambda: "bad signature" in bot.log_text(), 30, "the rejection logged")
            assert await bot.terminate() == 0
        finally:
            await bot.close()
    output = bot.log_text()
    records = [json.loads(line) for line in output.splitlines()
               if line.startswith("{")]
    others = [line for line in output.splitlines()
              if line and not line.startswith("{") and not line.startswith("dahar-ngopi: ")
              and not line.startswith(("Konsol", "  "))]
    assert others == []  # operator notices on stderr aside, every line is a JSON object
    assert len(records) > 5 and {"DEBUG", "INFO"} <= {r["level"] for r in records}
    rejected = [r for r in records if "bad signature" in str(r["message"])]
    assert rejected and isinstance(rejected[0].get("update_id"), int)
    assert tg.token not in output and tg.token.split(":")[1] not in output

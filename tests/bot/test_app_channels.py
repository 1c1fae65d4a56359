"""`dahar-ngopi run` with WhatsApp partly configured says which settings are missing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.app import run_channels
from bot.runtime import build_runtime
from bot.settings import Settings
from core.clock import FixedClock


async def test_partly_configured_whatsapp_is_named_in_one_line(
    make_settings: Callable[..., Settings], clock: FixedClock,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin.readline", lambda: "")  # the terminal chat ends at once
    settings = make_settings({"WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "123"})
    rt = await build_runtime(settings, clock, migrate=False)
    try:
        assert rt.whatsapp is None
        await run_channels(rt)
    finally:
        await rt.close()
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "WhatsApp stays off: set WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN too."
    assert "starting the terminal chat" in err[1]

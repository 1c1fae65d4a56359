""""Sertifikat saya" in the intent layer, and the bare word on channels without slashes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.clock import FixedClock
from tests.auxil.chat import Chat, text


@pytest.fixture
async def rt(make_settings: Callable[..., Settings], clock: FixedClock) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(make_settings({"PUBLIC_URL": "https://dn.example.go.id"}),
                                  clock, migrate=False)
    yield runtime
    await runtime.close()


async def test_sertifikat_saya_lists_the_certificates(rt: Runtime) -> None:
    chat = Chat(rt, "5001")
    await chat.register()
    for typed in ("sertifikat saya", "e-sertif saya udah ada belum?"):
        answer = text(await chat.say(typed))
        assert "Sertifikat Bapak/Ibu" in answer and "Belum ada sertifikat" in answer, typed
    wa = Chat(rt, "6281234567890", "whatsapp")
    await wa.register(name="Siti Aminah", nip="199001012015022001")
    assert "Sertifikat Bapak/Ibu" in text(await wa.say("sertifikat"))  # the bare command

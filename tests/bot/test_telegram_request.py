"""AiohttpRequest against the fake Bot API: BaseRequest contract, timeouts, uploads, polling."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, NetworkError, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.telegram.request import AiohttpRequest
from tests.fakes.telegram_server import FakeTelegram

USER = 4240001


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def _bot(tg: FakeTelegram, **request_kwargs: float) -> Bot:
    return Bot(
        tg.token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=AiohttpRequest(**request_kwargs),  # type: ignore[arg-type]
        get_updates_request=AiohttpRequest(**request_kwargs),  # type: ignore[arg-type]
    )


async def test_lifecycle_follows_base_request(tg: FakeTelegram) -> None:
    request = AiohttpRequest(read_timeout=3.5)
    assert request.read_timeout == 3.5
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{tg.base_url}{tg.token}/getMe", "POST")

    async with request:
        status, body = await request.do_request(f"{tg.base_url}{tg.token}/getMe", "POST")
        assert status == 200
        assert b'"is_bot":true' in body
    await request.shutdown()  # a second shutdown is harmless

    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{tg.base_url}{tg.token}/getMe", "POST")
    async with request:  # and it can be initialized again
        assert (await request.do_request(f"{tg.base_url}{tg.token}/getMe", "POST"))[0] == 200


async def test_error_status_and_body_reach_ptb(tg: FakeTelegram) -> None:
    tg.block(USER)
    async with _bot(tg) as bot:
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(USER, "halo")


async def test_long_poll_outlasts_the_read_timeout(tg: FakeTelegram) -> None:
    # PTB adds getUpdates' timeout to the read timeout: a 0.3 s read timeout must not cut a poll.
    async with _bot(tg, read_timeout=0.3) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        assert time.monotonic() - started >= 0.9

        asyncio.get_running_loop().call_later(0.2, tg.user_message, USER, "/hadir")
        (update,) = await bot.get_updates(timeout=3)
        assert update.message is not None and update.message.text == "/hadir"


async def test_slow_answer_raises_timed_out(tg: FakeTelegram) -> None:
    tg.delay("sendMessage", 1.0)
    async with _bot(tg, read_timeout=0.2) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "lambat")
        assert time.monotonic() - started < 0.9
        # a per-call read timeout overrides the default
        tg.delay("sendMessage", 0.4)
        assert (await bot.send_message(USER, "sabar", read_timeout=2)).text == "sabar"


async def test_pool_timeout_when_every_connection_is_busy(tg: FakeTelegram) -> None:
    tg.delay("sendMessage", 0.5)
    async with _bot(tg, connection_pool_size=1, pool_timeout=0.05) as bot:
        results = await asyncio.gather(
            bot.send_message(USER, "satu"), bot.send_message(USER, "dua"), return_exceptions=True
        )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], TimedOut)
    assert "Pool timeout" in str(errors[0])
    assert len(tg.messages_to(USER)) == 1  # the second request was never sent


async def test_network_errors(tg: FakeTelegram) -> None:
    tg.drop_next("sendMessage")
    async with _bot(tg) as bot:
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.send_message(USER, "putus")
        assert (await bot.send_message(USER, "tersambung lagi")).text == "tersambung lagi"

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    request = AiohttpRequest(connect_timeout=1)
    async with request:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{closed_port}/bot{tg.token}/getMe")


async def test_multipart_upload_from_a_file_with_markup(tg: FakeTelegram, tmp_path: Path) -> None:
    path = tmp_path / "Sertifikat ASN Belajar – Budi.pdf"
    path.write_bytes(b"%PDF-1.4 sertifikat")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Unduh lagi", callback_data="s.c:1")]])
    async with _bot(tg) as bot:
        with path.open("rb") as handle:
            sent = await bot.send_document(USER, handle, caption="Sertifikat", reply_markup=markup)
        assert sent.document is not None
        file = await bot.get_file(sent.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 sertifikat"

    call = tg.calls_of("sendDocument")[-1]
    assert call.document is not None
    assert call.document.content == b"%PDF-1.4 sertifikat"
    assert call.document.filename == "Sertifikat ASN Belajar – Budi.pdf"  # not percent-encoded
    assert call.document.mime_type == "application/pdf"
    assert call.params["caption"] == "Sertifikat"
    assert call.reply_markup == {
        "inline_keyboard": [[{"text": "Unduh lagi", "callback_data": "s.c:1"}]]
    }


async def test_many_concurrent_calls_share_the_pool(tg: FakeTelegram) -> None:
    async with _bot(tg, connection_pool_size=8, pool_timeout=5) as bot:
        sent = await asyncio.gather(*(bot.send_message(USER + i % 10, f"m{i}") for i in range(200)))
    assert len(tg.calls_of("sendMessage")) == 200
    assert len({(m.chat_id, m.message_id) for m in sent}) == 200


async def test_application_polls_and_answers_through_aiohttp(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Hadir", callback_data="hadir")]])
        await update.effective_message.reply_text("Selamat datang", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Tercatat")
        await update.callback_query.edit_message_text("Terima kasih")

    app = (
        Application.builder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .request(AiohttpRequest(connection_pool_size=8))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .build()
    )
    app.add_handler(CommandHandler("mulai", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            tg.user_message(USER, "/mulai")
            welcome = await tg.next_message(USER)
            assert welcome.text == "Selamat datang"
            assert welcome.button_texts == ["Hadir"]

            tg.press(USER, welcome, button="Hadir")
            answer = await tg.wait_for("answerCallbackQuery")
            assert answer.params["text"] == "Tercatat"
            edit = await tg.wait_for("editMessageText")
            assert edit.text == "Terima kasih"
            assert tg.message(USER, welcome.message_id or 0)["text"] == "Terima kasih"
        finally:
            await app.updater.stop()
            await app.stop()
    assert tg.calls_of("deleteWebhook")  # what start_polling does first

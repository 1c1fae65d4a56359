"""The fake Telegram Bot API, driven by a real telegram.Bot over HTTPX and over aiohttp."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import httpx
import pytest
from aiohttp import web
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram.request import AiohttpRequest
from tests.fakes.telegram_server import FakeTelegram, parse_html

USER = 5550001


def _request(kind: str, **timeouts: float) -> BaseRequest:
    if kind == "aiohttp":
        return AiohttpRequest(**timeouts)  # type: ignore[arg-type]
    return HTTPXRequest(**timeouts)  # type: ignore[arg-type]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(request: pytest.FixtureRequest, tg: FakeTelegram) -> AsyncIterator[Bot]:
    kind = str(request.param)
    async with Bot(
        tg.token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=_request(kind),
        get_updates_request=_request(kind),
    ) as client:
        yield client


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Hadir", callback_data="s1.att:42")],
            [InlineKeyboardButton("Tautan Zoom", url="https://zoom.us/j/123")],
        ]
    )


async def test_send_message_records_parsed_markup_and_returns_a_message(
    bot: Bot, tg: FakeTelegram
) -> None:
    sent = await bot.send_message(
        USER, "<b>ASN Belajar</b> hari ini &amp; besok", ParseMode.HTML, reply_markup=_keyboard()
    )

    call = tg.sent[-1]
    assert call.method == "sendMessage"
    assert call.chat_id == USER
    assert call.text == "<b>ASN Belajar</b> hari ini &amp; besok"
    assert call.reply_markup == {
        "inline_keyboard": [
            [{"text": "Hadir", "callback_data": "s1.att:42"}],
            [{"text": "Tautan Zoom", "url": "https://zoom.us/j/123"}],
        ]
    }
    assert call.button("Hadir")["callback_data"] == "s1.att:42"
    # The bot sees what Telegram would return: tags parsed into entities.
    assert sent.text == "ASN Belajar hari ini & besok"
    assert sent.text_html == "<b>ASN Belajar</b> hari ini &amp; besok"
    assert sent.chat.id == USER
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.reply_markup == _keyboard()
    assert tg.messages_to(USER) == [call]
    assert call.message_id == sent.message_id


async def test_message_ids_grow_per_chat(bot: Bot, tg: FakeTelegram) -> None:
    first = await bot.send_message(USER, "satu")
    second = await bot.send_message(USER, "dua")
    other = await bot.send_message(USER + 1, "tiga")
    assert second.message_id == first.message_id + 1
    assert other.message_id == 1


async def test_edit_text_and_markup(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Konfirmasi kehadiran", reply_markup=_keyboard())

    edited = await bot.edit_message_text("Terima kasih, tercatat hadir.", USER, sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "Terima kasih, tercatat hadir."
    assert edited.reply_markup is None  # editing text without markup removes the keyboard
    assert tg.message(USER, sent.message_id)["text"] == "Terima kasih, tercatat hadir."

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Terima kasih, tercatat hadir.", USER, sent.message_id)

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Batal", callback_data="s1.undo")]])
    edited = await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=markup)
    assert not isinstance(edited, bool)
    assert edited.reply_markup == markup
    assert tg.calls_of("editMessageReplyMarkup")[-1].button_texts == ["Batal"]

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)


async def test_press_answer_callback_query(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(USER, "Hadir hari ini?", reply_markup=_keyboard())
    tg.press(USER, tg.messages_to(USER)[-1], "s1.att:42")

    updates = await bot.get_updates(timeout=2)
    query = updates[-1].callback_query
    assert query is not None
    assert query.data == "s1.att:42"
    assert query.from_user.id == USER
    assert query.message is not None and query.message.message_id == sent.message_id

    assert await bot.answer_callback_query(query.id, "Tercatat", show_alert=True)
    answer = tg.callback_answers[-1]
    assert answer.params == {"callback_query_id": query.id, "text": "Tercatat", "show_alert": True}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)


async def test_press_checks_the_button_exists_unless_told_not_to(
    bot: Bot, tg: FakeTelegram
) -> None:
    await bot.send_message(USER, "Pilih", reply_markup=_keyboard())
    message = tg.messages_to(USER)[-1]
    with pytest.raises(LookupError):
        tg.press(USER, message, "forged")
    forged = tg.press(USER, message, "forged", strict=False)
    by_label = tg.press(USER, message, button="Hadir")
    assert forged["callback_query"]["data"] == "forged"
    assert by_label["callback_query"]["data"] == "s1.att:42"


async def test_send_document_records_the_uploaded_bytes(bot: Bot, tg: FakeTelegram) -> None:
    content = b"NIP;JP\n198507142010012003;2\n"
    sent = await bot.send_document(
        USER,
        content,
        filename="Rekap Presensi – Juli.csv",
        caption="<i>Rekap</i> bulan Juli",
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard(),
    )

    call = tg.sent[-1]
    assert call.method == "sendDocument"
    assert call.document is not None
    assert call.document.content == content
    assert call.document.filename == "Rekap Presensi – Juli.csv"
    assert call.document.mime_type == "text/csv"
    assert call.reply_markup is not None and call.button_texts == ["Hadir", "Tautan Zoom"]
    assert sent.document is not None and sent.document.file_size == len(content)
    assert sent.caption == "Rekap bulan Juli"
    # What the bot uploaded can be fetched back by file_id, as on Telegram.
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content


async def test_send_photo_with_file_object(bot: Bot, tg: FakeTelegram) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (640).to_bytes(4, "big")
        + (480).to_bytes(4, "big")
        + b"rest"
    )
    sent = await bot.send_photo(USER, io.BytesIO(png), caption="Poster")
    assert tg.sent[-1].photo is not None and tg.sent[-1].photo.content == png
    assert sent.photo[-1].width == 640 and sent.photo[-1].height == 480


async def test_get_updates_long_polls_until_a_message_arrives(bot: Bot, tg: FakeTelegram) -> None:
    asyncio.get_running_loop().call_later(0.2, tg.user_message, USER, "/mulai sekarang")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    waited = time.monotonic() - started

    assert 0.15 < waited < 2
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "/mulai sekarang"
    assert message.chat.type == "private"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    # Not confirmed yet: returned again; confirmed by offset: gone.
    assert [u.update_id for u in await bot.get_updates()] == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()
    assert tg.pending_updates == []


async def test_get_updates_limit_and_empty_timeout(bot: Bot, tg: FakeTelegram) -> None:
    for i in range(3):
        tg.user_message(USER, f"pesan {i}")
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two if u.message] == ["pesan 0", "pesan 1"]
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1, timeout=1)
    assert [u.message.text for u in rest if u.message] == ["pesan 2"]

    started = time.monotonic()
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3


async def test_user_document_get_file_and_download(bot: Bot, tg: FakeTelegram) -> None:
    content = bytes(range(256)) * 40
    tg.user_document(USER, "bukti hadir.pdf", content, "application/pdf")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    assert (document.file_name, document.mime_type) == ("bukti hadir.pdf", "application/pdf")

    file = await bot.get_file(document.file_id)
    buffer = io.BytesIO()
    await file.download_to_memory(buffer)
    assert buffer.getvalue() == content
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


async def test_group_message_and_reply_to(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_message(-1001234, "Pertanyaan dari peserta")
    tg.group_message(
        -1001234, USER, "Jawabannya: ya", title="Admin BPSDM", reply_to=sent.message_id
    )
    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None
    assert message.chat.type == "supergroup" and message.chat.title == "Admin BPSDM"
    assert message.reply_to_message is not None
    assert message.reply_to_message.message_id == sent.message_id


async def test_retry_after(bot: Bot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    tg.fail_next("sendMessage", USER, code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "halo")
    assert caught.value.retry_after == timedelta(seconds=7)
    assert tg.sent[-1].error == {
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    # Only the next call failed.
    assert (await bot.send_message(USER, "halo")).text == "halo"


async def test_fail_next_matches_method_and_chat(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", chat_id=USER + 1, code=500, times=2)
    await bot.send_message(USER, "tidak terkena")
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(USER + 1, "kena")
    await bot.send_message(USER + 1, "pulih")
    assert [c.ok for c in tg.calls_of("sendMessage", USER + 1)] == [False, False, True]


async def test_blocked_chat_not_found_and_migrated(bot: Bot, tg: FakeTelegram) -> None:
    tg.block(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "halo")
    tg.unblock(USER)
    await bot.send_message(USER, "halo")

    tg.chat_not_found(777)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "halo")

    tg.migrate(-4001, -1009004001)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-4001, "halo")
    assert caught.value.new_chat_id == -1009004001

    tg.fail_next("sendMessage", code=400, migrate_to_chat_id=-100555)
    with pytest.raises(ChatMigrated):
        await bot.send_message(-555, "halo")


async def test_strict_chats_only_know_people_who_wrote() -> None:
    async with FakeTelegram(strict_chats=True) as tg, Bot(tg.token, base_url=tg.base_url) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(USER, "halo")
        tg.user_message(USER, "/start", first_name="Siti")
        sent = await bot.send_message(USER, "halo")
        assert sent.chat.first_name == "Siti"


async def test_delayed_answer_times_out_on_a_small_read_timeout(tg: FakeTelegram) -> None:
    tg.delay("sendMessage", 1.0)
    for kind in ("httpx", "aiohttp"):
        request = _request(kind, read_timeout=0.2)
        async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
            with pytest.raises(TimedOut):
                await bot.send_message(USER, "lambat")
    # The call itself went through at once: only the answer was late (as a slow Telegram).
    assert len(tg.messages_to(USER)) == 2
    tg.delay("sendMessage", None)


async def test_dropped_connection_is_a_network_error(bot: Bot, tg: FakeTelegram) -> None:
    tg.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "hilang")
    assert tg.messages_to(USER) == []
    tg.drop_next("sendMessage", processed=True)
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "terkirim tapi jawabannya hilang")
    assert len(tg.messages_to(USER)) == 1


async def test_rate_limit_answers_429_beyond_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else constructing RetryAfter warns (v22.2)
    async with FakeTelegram(rate_limit=5, rate_window=60) as tg:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            outcomes = []
            for i in range(8):
                try:
                    await bot.send_message(USER + i, "siaran")
                    outcomes.append("ok")
                except RetryAfter:
                    outcomes.append("429")
            await bot.get_me()  # not a message call: never limited
        assert outcomes == ["ok"] * 5 + ["429"] * 3
        assert tg.throttled == 3
        assert tg.stats()["throttled_by_method"] == {"sendMessage": 3}
        assert tg.sent[-2].error is not None
        assert tg.sent[-2].error["parameters"]["retry_after"] == 60


async def test_html_errors_are_rejected_like_telegram(bot: Bot, tg: FakeTelegram) -> None:
    # PTB drops "Bad Request: " and str.capitalize()s the rest of Telegram's description.
    with pytest.raises(BadRequest, match='unsupported start tag "br"'):
        await bot.send_message(USER, "baris<br>baris", ParseMode.HTML)
    with pytest.raises(BadRequest, match="can't find end tag"):
        await bot.send_message(USER, "<b>tebal", ParseMode.HTML)
    with pytest.raises(BadRequest, match="unsupported start tag"):
        await bot.send_message(USER, "nilai 3 < 5", ParseMode.HTML)
    await bot.send_message(USER, "nilai 3 < 5")  # fine without parse_mode
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        long_data = InlineKeyboardButton("a", callback_data="x" * 65)
        await bot.send_message(USER, "a", reply_markup=InlineKeyboardMarkup([[long_data]]))


def test_parse_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html(
        '☕ <b>Dahar</b> <a href="https://bpsdm.jatimprov.go.id">ngopi</a> 🎓<code>x</code>'
    )
    assert text == "☕ Dahar ngopi 🎓x"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 5},
        {
            "type": "text_link",
            "offset": 8,
            "length": 5,
            "url": "https://bpsdm.jatimprov.go.id",
        },
        {"type": "code", "offset": 16, "length": 1},  # the emoji counts as two UTF-16 units
    ]


async def test_commands_round_trip(bot: Bot, tg: FakeTelegram) -> None:
    commands = [BotCommand("mulai", "Mulai berlangganan"), BotCommand("jadwal", "Jadwal pekan ini")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert tg.commands() == [
        {"command": "mulai", "description": "Mulai berlangganan"},
        {"command": "jadwal", "description": "Jadwal pekan ini"},
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Mulai Sekarang", "x")])


async def test_unknown_token_and_unknown_method(tg: FakeTelegram) -> None:
    async with Bot(tg.token, base_url=tg.base_url) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendCoffee")
    with pytest.raises(InvalidToken, match="was rejected"):
        async with Bot("123:" + "A" * 35, base_url=tg.base_url):  # shuts down on the failure
            pass
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{tg.base_url}123:{'A' * 35}/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await client.get(f"{tg.base_url}{tg.token}/sendCoffee")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_raw_http_forms_the_bot_api_accepts(tg: FakeTelegram) -> None:
    api = f"{tg.base_url}{tg.token}"
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "y"}]]}
    async with httpx.AsyncClient() as client:
        by_query = await client.get(f"{api}/sendMessage", params={"chat_id": 1, "text": "GET"})
        by_json = await client.post(
            f"{api}/SENDMESSAGE", json={"chat_id": 2, "text": "JSON", "reply_markup": markup}
        )

        async def chunks() -> AsyncIterator[bytes]:
            yield b"chat_id=3&text=chun"
            yield b"ked+body"

        chunked = await client.post(
            f"{api}/sendMessage",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert [r.status_code for r in (by_query, by_json, chunked)] == [200, 200, 200]
    assert [c.text for c in tg.sent] == ["GET", "JSON", "chunked body"]
    assert [c.method for c in tg.sent] == ["sendMessage"] * 3
    assert tg.sent[1].reply_markup == markup
    assert by_json.json()["result"]["reply_markup"] == markup


async def test_many_requests_on_one_keep_alive_connection(tg: FakeTelegram) -> None:
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for i in range(20):
            async with session.post(
                f"{tg.base_url}{tg.token}/sendMessage", data={"chat_id": "9", "text": str(i)}
            ) as response:
                assert response.status == 200
                assert (await response.json())["result"]["text"] == str(i)
    assert len(tg.messages_to(9)) == 20


async def test_wait_for_and_next_message(bot: Bot, tg: FakeTelegram) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(USER, "pertama")
        await bot.send_message(USER, "kedua")
        await bot.send_chat_action(USER, "typing")

    task = asyncio.create_task(later())
    assert (await tg.next_message(USER)).text == "pertama"
    assert (await tg.next_message(USER)).text == "kedua"
    action = await tg.wait_for("sendChatAction")
    assert action.params["action"] == "typing"
    found = await tg.wait_for(lambda c: c.text == "kedua")
    assert found.method == "sendMessage"
    await task
    with pytest.raises(TimeoutError, match="no new message"):
        await tg.next_message(USER, timeout=0.05)


async def test_webhook_delivery_and_get_updates_conflict(bot: Bot, tg: FakeTelegram) -> None:
    received: list[tuple[dict[str, object], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/telegram", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/telegram", secret_token="rahasia")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/telegram")
        tg.user_message(USER, "lewat webhook")
        await tg.wait_until(lambda: bool(received))
        update, secret = received[0]
        assert secret == "rahasia"
        assert update["message"]["text"] == "lewat webhook"  # type: ignore[index]
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        await tg.wait_until(lambda: tg.pending_updates == [])
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_admin_endpoints(tg: FakeTelegram) -> None:
    async with httpx.AsyncClient(base_url=tg.url) as client:
        injected = await client.post(
            "/__inject", json=[{"user_id": 1, "text": "/mulai"}, {"user_id": 2, "text": "halo"}]
        )
        assert injected.json()["ok"] is True
        await client.post(f"/bot{tg.token}/sendMessage", data={"chat_id": "1", "text": "a"})
        stats = (await client.get("/__stats")).json()
        assert stats["by_method"] == {"sendMessage": 1}
        assert stats["pending_updates"] == 2
        await client.get("/__reset")
        assert (await client.get("/__stats")).json()["requests"] == 0
    assert tg.sent == []


async def test_standalone_process_prints_port_and_serves() -> None:
    from bench.fake_ceiling import server_stats, start_fake_server_process

    with start_fake_server_process(rate_limit=1000) as server:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{server.url}/bot{server.token}/sendMessage",
                data={"chat_id": "5", "text": "dari proses lain"},
            )
        assert response.json()["result"]["text"] == "dari proses lain"
        stats = server_stats(server.url)
        assert stats["by_method"] == {"sendMessage": 1}
    assert json.dumps(stats)  # plain JSON, usable by benches


async def test_http_layer_handles_split_and_pipelined_requests(tg: FakeTelegram) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", tg.port)
    body = b"chat_id=7&text=satu"
    first = (
        f"POST /bot{tg.token}/sendMessage HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    second = f"GET /bot{tg.token}/sendMessage?chat_id=7&text=dua HTTP/1.1\r\nHost: x\r\n\r\n"
    third = f"GET /bot{tg.token}/getMe HTTP/1.1\r\nConnection: close\r\n\r\n"
    try:
        for piece in (first[:10], first[10:50], first[50:] + second.encode()[:5]):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(second.encode()[5:] + third.encode())  # two requests in one packet
        raw = await asyncio.wait_for(reader.read(), 5)  # the server closes after the third
    finally:
        writer.close()
        await writer.wait_closed()
    answers = raw.split(b"HTTP/1.1 ")[1:]
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [b"200 OK"] * 3
    assert b"Connection: close" in answers[2]
    assert [c.text for c in tg.messages_to(7)] == ["satu", "dua"]


async def test_a_newer_poll_ends_the_waiting_one_with_409(tg: FakeTelegram) -> None:
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}", timeout=10) as client:
        waiting = asyncio.create_task(client.get("/getUpdates", params={"timeout": 5}))
        await asyncio.sleep(0.1)
        newer = await client.get("/getUpdates", params={"timeout": 0})
        older = await waiting
    assert newer.json() == {"ok": True, "result": []}
    assert older.status_code == 409
    assert "terminated by other getUpdates request" in older.json()["description"]


async def test_stop_ends_a_pending_long_poll_cleanly() -> None:
    tg = await FakeTelegram().start()
    async with httpx.AsyncClient(timeout=10) as client:
        poll = asyncio.create_task(client.get(f"{tg.base_url}{tg.token}/getUpdates?timeout=30"))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await tg.stop()
        with pytest.raises(httpx.HTTPError):
            await poll
    assert time.monotonic() - started < 1


async def test_failures_for_get_updates_must_name_it(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_next(None, code=500)  # a wildcard is for calls the bot makes, not for polling
    tg.user_message(USER, "halo")
    assert len(await bot.get_updates()) == 1
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "kena")
    tg.fail_next("getUpdates", code=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_updates()
    assert len(await bot.get_updates()) == 1

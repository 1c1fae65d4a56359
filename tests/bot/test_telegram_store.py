"""Telegram updates are stored before Telegram is told they arrived, then handled once each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select, text
from starlette.routing import Route
from telegram import Bot

from bot.http_server import HttpServer, build_app
from bot.inbox import LostClaim
from bot.runtime import Runtime
from bot.telegram.handling import UpdateHandler
from bot.telegram.receive import Poller, UpdateStore
from bot.telegram.request import AiohttpRequest
from bot.telegram.webhook import TELEGRAM_PATH, TELEGRAM_SECRET_HEADER, TelegramWebhook
from db.inbox_claims import TELEGRAM, ClaimedMessage, claim_chats
from db.models import ConversationState, Identity, TelegramUpdate
from db.telegram_updates import StoredUpdate, store_updates
from tests.fakes.telegram_server import FakeTelegram

SECRET = "store-secret"


async def stored(rt: Runtime) -> dict[int, str]:
    async with rt.sessions() as db:
        rows = await db.execute(select(TelegramUpdate.update_id, TelegramUpdate.status))
        return {int(k): str(v) for k, v in rows.all()}


async def wait_for(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    for _ in range(int(within / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def poller(runtime: Runtime, tg: FakeTelegram) -> AsyncIterator[Poller]:
    bot = Bot(tg.token, base_url=tg.base_url,
              get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=5))
    async with bot:
        found = Poller(bot, UpdateStore(runtime.sessions, runtime.clock, lambda: None),
                       timeout=1)
        await found.start()
        try:
            yield found
        finally:
            await found.stop()


async def test_polling_confirms_a_batch_only_once_it_is_stored(
    runtime: Runtime, tg: FakeTelegram, poller: Poller
) -> None:
    ids = [tg.user_message(100 + i, f"halo {i}")["update_id"] for i in range(250)]
    await wait_for(lambda: _count(runtime, 250))
    await wait_for(lambda: _none_pending(tg))  # the next getUpdates confirmed them
    assert sorted(await stored(runtime)) == ids

    # The database fails: nothing more is confirmed, Telegram keeps the updates.
    async with runtime.sessions() as db, db.begin():
        await db.execute(text("ALTER TABLE telegram_updates RENAME TO telegram_updates_away"))
    later = [tg.user_message(500 + i, "lagi")["update_id"] for i in range(5)]
    await asyncio.sleep(1.5)
    assert [u["update_id"] for u in tg.pending_updates] == later
    async with runtime.sessions() as db, db.begin():
        await db.execute(text("ALTER TABLE telegram_updates_away RENAME TO telegram_updates"))
    await wait_for(lambda: _count(runtime, 255))
    await wait_for(lambda: _none_pending(tg))


async def _count(rt: Runtime, n: int) -> bool:
    return len(await stored(rt)) == n


async def _none_pending(tg: FakeTelegram) -> bool:
    return not tg.pending_updates


async def test_the_webhook_answers_200_once_the_update_is_committed(runtime: Runtime) -> None:
    hook = TelegramWebhook(UpdateStore(runtime.sessions, runtime.clock, lambda: None), SECRET)
    routes = [Route(TELEGRAM_PATH, hook.handle, methods=["POST"])]
    server = HttpServer(build_app(routes), "127.0.0.1", 0)
    await server.start()
    url = server.url + TELEGRAM_PATH
    update = {"update_id": 41, "message": {"message_id": 1, "date": 1, "text": "/menu",
                                           "chat": {"id": 7, "type": "private"},
                                           "from": {"id": 7, "first_name": "Sari"}}}
    try:
        async with aiohttp.ClientSession(headers={TELEGRAM_SECRET_HEADER: SECRET}) as http:
            for _ in range(2):  # Telegram delivers it twice: stored once
                async with http.post(url, json=update) as resp:
                    assert resp.status == 200
                    assert await stored(runtime) == {41: "pending"}  # already committed
            async with http.post(url, data=b"{not json") as resp:
                assert resp.status == 200  # acknowledged, nothing to keep
            async with http.post(url, json=update, headers={TELEGRAM_SECRET_HEADER: "x"}) as r:
                assert r.status == 403
            async with runtime.sessions() as db, db.begin():
                await db.execute(text("ALTER TABLE telegram_updates RENAME TO tu_away"))
            async with http.post(url, json={**update, "update_id": 42}) as resp:
                assert resp.status == 503  # not stored: Telegram delivers it again
            async with runtime.sessions() as db, db.begin():
                await db.execute(text("ALTER TABLE tu_away RENAME TO telegram_updates"))
            async with http.post(url, json={**update, "update_id": 42}) as resp:
                assert resp.status == 200
    finally:
        await server.stop()
    assert await stored(runtime) == {41: "pending", 42: "pending"}


async def test_an_update_taken_over_meanwhile_has_no_effect(runtime: Runtime) -> None:
    update = {"update_id": 88, "message": {"message_id": 1, "date": 1, "text": "/mulai",
                                           "chat": {"id": 6006, "type": "private"},
                                           "from": {"id": 6006, "first_name": "Rina"}}}
    async with runtime.sessions() as db, db.begin():
        await store_updates(db, [StoredUpdate(88, "6006", update)], runtime.clock.now())
        (row,) = await claim_chats(db, TELEGRAM, worker="me", now=runtime.clock.now(),
                                   lease=timedelta(minutes=1), chats=1, max_attempts=5)
        # This process was thought dead: another took the chat before it committed.
        await db.execute(TelegramUpdate.__table__.update().values(claimed_by="another"))
    async with FakeTelegram() as tg, Bot(tg.token, base_url=tg.base_url) as bot:
        handler = UpdateHandler(runtime.dispatcher, runtime.clock, bot,
                                replies=None,  # type: ignore[arg-type]  (never reached)
                                name="me")
        with pytest.raises(LostClaim):
            await handler(ClaimedMessage(row.key, row.chat, row.status, row.body, None, 1))
    async with runtime.sessions() as db:  # the whole unit of work was rolled back
        assert await db.scalar(select(func.count()).select_from(Identity)) == 0
        assert await db.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert await stored(runtime) == {88: "pending"}

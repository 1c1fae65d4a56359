"""Ask the Bot API who we are before starting: a rejected token or no answer stops the bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.settings import Settings
from bot.startup import OTHER, SETTING, StartupError
from bot.telegram.request import AiohttpRequest

__all__ = ["PAUSES", "check_telegram"]

log = logging.getLogger(__name__)

# Three tries over about 20 seconds: a Bot API that is restarting, or a network that
# comes up a little after the bot, is waited for; one that is really away is reported.
PAUSES = (5.0, 15.0)


async def check_telegram(settings: Settings, *, pauses: Sequence[float] = PAUSES) -> str:
    """Call getMe; return the bot's username. Raises `StartupError`, never with the token."""
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    api = settings.telegram_api_url
    request = AiohttpRequest(connection_pool_size=1)
    await request.initialize()
    try:
        for attempt in range(len(pauses) + 1):
            try:
                payload = await request.post(f"{api}/bot{token}/getMe")
            except InvalidToken as exc:
                # The Bot API's own word for it ("Unauthorized", "Not Found"); PTB's Bot
                # would quote the token here.
                raise StartupError(
                    f"Telegram rejected TELEGRAM_BOT_TOKEN (getMe at {api}: {exc.message}): "
                    "copy the token again from @BotFather", SETTING) from None
            except RetryAfter as exc:
                reason = f"asked to wait {exc.retry_after}"
            except NetworkError as exc:  # TimedOut too
                reason = str(exc)
            except TelegramError as exc:
                raise StartupError(f"the Telegram Bot API at {api} refused getMe: {exc}",
                                   OTHER) from None
            else:
                return _username(payload)
            if attempt < len(pauses):
                log.warning("the Telegram Bot API at %s does not answer (%s); trying again in "
                            "%.0f s", api, reason, pauses[attempt])
                await asyncio.sleep(pauses[attempt])
        total = sum(pauses)
        raise StartupError(
            f"cannot reach the Telegram Bot API at {api} (TELEGRAM_API_URL) after "
            f"{len(pauses) + 1} tries over {total:.0f} s: {reason}", OTHER)
    finally:
        await request.shutdown()


def _username(result: object) -> str:
    return str(result.get("username", "")) if isinstance(result, dict) else ""

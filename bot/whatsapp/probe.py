"""Ask the Graph API for our business number before starting: rejected credentials stop the bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.delivery import TransientFailure
from bot.startup import OTHER, SETTING, StartupError
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.errors import PERMISSION, TOKEN, GraphError

__all__ = ["PAUSES", "check_whatsapp"]

log = logging.getLogger(__name__)

PAUSES = (5.0, 15.0)  # three tries over about 20 seconds, as for Telegram
NO_SUCH_OBJECT = 33  # error_subcode: the id does not exist or this token may not see it


def _refused(err: GraphError, client: WhatsAppClient) -> StartupError:
    if err.code in TOKEN or err.http_status == 401:
        return StartupError(
            f"WhatsApp rejected WHATSAPP_ACCESS_TOKEN (code {err.code}, {err.message}): "
            "renew it in Meta's app dashboard (a system user token does not expire)", SETTING)
    if err.subcode == NO_SUCH_OBJECT or err.code == 100:
        return StartupError(
            f"WhatsApp does not know WHATSAPP_PHONE_NUMBER_ID {client.phone_number_id} for this "
            "token: copy the phone number ID from the app dashboard (API Setup)", SETTING)
    if err.code in PERMISSION or err.http_status == 403:
        return StartupError(
            f"the WhatsApp access token lacks a permission (code {err.code}, {err.message}): "
            "give it whatsapp_business_messaging", SETTING)
    return StartupError(f"WhatsApp refused the start-up check: {err}", OTHER)


async def check_whatsapp(client: WhatsAppClient, *, pauses: Sequence[float] = PAUSES) -> str:
    """Fetch the business number; return how it is displayed. Raises `StartupError`."""
    reason = ""
    for attempt in range(len(pauses) + 1):
        try:
            found = await client.phone_number()
        except GraphError as err:
            if err.http_status < 500 and err.http_status != 429:
                raise _refused(err, client) from None
            reason = str(err)
        except TransientFailure as exc:
            reason = str(exc)
        else:
            return str(found.get("display_phone_number", ""))
        if attempt < len(pauses):
            log.warning("the WhatsApp Cloud API at %s does not answer (%s); trying again in "
                        "%.0f s", client.api_url, reason, pauses[attempt])
            await asyncio.sleep(pauses[attempt])
    raise StartupError(
        f"cannot reach the WhatsApp Cloud API at {client.api_url} (WHATSAPP_API_URL) after "
        f"{len(pauses) + 1} tries over {sum(pauses):.0f} s: {reason}", OTHER)

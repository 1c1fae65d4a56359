"""Webhook emulation: setWebhook, deleteWebhook, getWebhookInfo and POSTing updates to the URL."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.fakes.telegram_server.errors import ApiError
from tests.fakes.telegram_server.http_server import dumps, reason
from tests.fakes.telegram_server.records import JSON, Described
from tests.fakes.telegram_server.state import FakeState


class Webhooks(FakeState):
    """The webhook a bot can set instead of polling, and the task that delivers to it."""

    @property
    def webhook(self) -> JSON:
        """The webhook settings (url, secret_token, ...), {} when none is set."""
        return dict(self._webhook)

    def _webhook_method(self, method: str, params: JSON) -> Any:
        if method == "getWebhookInfo":
            info: JSON = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook.get("url"):
                info["max_connections"] = self._webhook.get("max_connections", 40)
                info["ip_address"] = "127.0.0.1"
                if self._webhook.get("allowed_updates"):
                    info["allowed_updates"] = self._webhook["allowed_updates"]
                if "last_error_date" in self._webhook:
                    info["last_error_date"] = self._webhook["last_error_date"]
                    info["last_error_message"] = self._webhook["last_error_message"]
            return info
        if params.get("drop_pending_updates"):
            self._updates.clear()
        url = str(params.get("url") or "") if method == "setWebhook" else ""
        if not url:
            was_set = bool(self._webhook.get("url"))
            self._webhook = {}
            if self._webhook_task is not None:
                self._webhook_task.cancel()
                self._webhook_task = None
            return Described(
                True, "Webhook was deleted" if was_set else "Webhook is already deleted"
            )
        if not url.startswith(("http://", "https://")):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": params.get("max_connections", 40),
            "allowed_updates": params.get("allowed_updates"),
        }
        self._kick_webhook()
        return Described(True, "Webhook was set")

    def _kick_webhook(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_pump())

    async def _webhook_pump(self) -> None:
        """POST queued updates to the webhook one at a time (like max_connections=1)."""
        import aiohttp  # only webhook tests need a client here

        async with aiohttp.ClientSession() as session:
            while self._webhook.get("url"):
                if not self._updates:
                    await self._updates_changed.wait()
                    continue
                update = self._updates[0]
                headers = {"Content-Type": "application/json"}
                if self._webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(self._webhook["secret_token"])
                try:
                    async with session.post(
                        self._webhook["url"],
                        data=dumps(update),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = 0
                    error = f"Connection error: {exc.__class__.__name__}"
                else:
                    error = f"Wrong response from the webhook: {status} {reason(status)}"
                self.webhook_deliveries.append((int(update["update_id"]), status))
                if 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    continue
                self._webhook["last_error_date"] = self._now()
                self._webhook["last_error_message"] = error
                await asyncio.sleep(0.2)

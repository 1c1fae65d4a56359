"""The port every channel implements to deliver a message, and its neutral errors."""

from __future__ import annotations

from typing import Protocol

from core.types import Reply

__all__ = [
    "Blocked",
    "ChatMigrated",
    "ChatRateLimited",
    "DeliveryError",
    "OutsideWindow",
    "PermanentFailure",
    "RateLimited",
    "Sender",
    "TransientFailure",
]


class DeliveryError(Exception):
    """A message could not be delivered."""


class RateLimited(DeliveryError):
    """The platform asked us to slow down: wait `retry_after` seconds for the whole channel."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChatRateLimited(RateLimited):
    """Too many messages to this one chat (WhatsApp's pair rate limit): only it must wait."""


class Blocked(DeliveryError):
    """The person blocked the bot or the account is gone: stop sending to them."""


class ChatMigrated(DeliveryError):
    """The chat moved (Telegram group upgraded to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class OutsideWindow(DeliveryError):
    """WhatsApp: free-form text is not allowed outside the 24-hour window (131047)."""


class PermanentFailure(DeliveryError):
    """A failure that retrying will not fix (400 chat not found, bad request)."""


class TransientFailure(DeliveryError):
    """A timeout, a network error or a 5xx: worth retrying with backoff."""


class Sender(Protocol):
    """Deliver one reply to one chat on one channel; return the platform's message id."""

    channel: str

    async def deliver(self, chat_id: str, reply: Reply) -> str | None: ...

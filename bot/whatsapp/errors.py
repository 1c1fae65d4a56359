"""Map WhatsApp Cloud API (Graph API) errors to the neutral delivery errors."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.delivery import (
    Blocked,
    ChatRateLimited,
    DeliveryError,
    OutsideWindow,
    PermanentFailure,
    RateLimited,
    TransientFailure,
)

__all__ = [
    "GraphError",
    "PairRateLimited",
    "map_error",
]

log = logging.getLogger(__name__)

# Codes we act on; the full list is in Meta's "Cloud API error codes" page.
OUTSIDE_WINDOW = {131047, 470}  # re-engagement message (470: its pre-2022 number)
THROUGHPUT = 130429  # the business number's messages-per-second limit
PAIR_RATE = 131056  # too many messages to one person in a short time
SPAM_RATE = 131048  # the number's quality made Meta cap sends: slow down for a while
APP_RATE = {4, 80007}  # application / WABA call-rate limits (hourly buckets)
UNDELIVERABLE = 131026  # not on WhatsApp, old app, terms not accepted, or blocked us
TOKEN = {190}  # access token expired, revoked or malformed
PERMISSION = {3, 10, 200, 131005}  # the token lacks a permission: a setup problem
TRANSIENT = {1, 2, 131000, 131016, 133004}  # "something went wrong", service unavailable

# How long to pause when Meta gives no Retry-After: throughput resets every second,
# the application limits are counted per hour so a minute is the least worth waiting.
THROUGHPUT_PAUSE = 2.0
APP_RATE_PAUSE = 60.0
HTTP_429_PAUSE = 5.0


@dataclass(eq=False)  # not frozen: Python sets __traceback__ / __cause__ on exceptions
class GraphError(Exception):
    """One Graph API error as Meta describes it (kept as the `__cause__` of a neutral error)."""

    http_status: int
    code: int | None = None
    subcode: int | None = None
    type: str = ""
    message: str = ""
    details: str = ""
    fbtrace_id: str = ""

    @classmethod
    def from_body(cls, http_status: int, body: Any) -> GraphError:
        """Read `{"error": {...}}` (or anything else) returned with `http_status`."""
        err = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(err, Mapping):
            return cls(http_status=http_status, message=str(body)[:200] if body else "")
        data = err.get("error_data")
        details = data.get("details", "") if isinstance(data, Mapping) else ""
        return cls(
            http_status=http_status,
            code=_int(err.get("code")),
            subcode=_int(err.get("error_subcode")),
            type=str(err.get("type", "")),
            message=str(err.get("message", "")),
            details=str(details or ""),
            fbtrace_id=str(err.get("fbtrace_id", "")),
        )

    def __str__(self) -> str:
        code = f"code {self.code}" if self.code is not None else f"HTTP {self.http_status}"
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        text = self.message + (f" ({self.details})" if self.details else "")
        trace = f" [fbtrace {self.fbtrace_id}]" if self.fbtrace_id else ""
        return f"WhatsApp {code}{sub}: {text}{trace}"


class PairRateLimited(ChatRateLimited):
    """131056: too many messages to one person; only that person needs the pause."""

    def __init__(self, retry_after: float, recipient: str) -> None:
        super().__init__(retry_after, f"pair rate limit for one recipient ({retry_after:g}s)")
        self.recipient = recipient


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def map_error(
    err: GraphError,
    *,
    recipient: str = "",
    retry_after: float | None = None,
    pair_interval: float = 6.0,
) -> DeliveryError:
    """Return the neutral error for `err` (raise it `from err` to keep the details).

    Also used for the error codes of a `failed` status webhook, where `http_status` is 0.
    `retry_after` is the HTTP Retry-After header in seconds, when Meta sent one.
    """
    code = err.code
    text = str(err)
    if code in OUTSIDE_WINDOW:
        return OutsideWindow(text)
    if code == PAIR_RATE:
        return PairRateLimited(retry_after or pair_interval, recipient)
    if code == THROUGHPUT:
        return RateLimited(retry_after or THROUGHPUT_PAUSE, text)
    if code == SPAM_RATE or code in APP_RATE:
        return RateLimited(retry_after or APP_RATE_PAUSE, text)
    if err.http_status == 429:
        return RateLimited(retry_after or HTTP_429_PAUSE, text)
    if code == UNDELIVERABLE:
        # Meta reports "blocked the business" as 131026 too and never says which: treat
        # the person as unreachable until they write to us again (which re-opens the chat).
        return Blocked(text)
    if code in TOKEN or err.http_status == 401:
        log.error(
            "WhatsApp rejected the access token (code %s, subcode %s, fbtrace %s): "
            "renew WHATSAPP_ACCESS_TOKEN",
            code,
            err.subcode,
            err.fbtrace_id,
        )
        return PermanentFailure(text)
    if code in PERMISSION:
        log.error("WhatsApp permission error, check the app's setup: %s", text)
        return PermanentFailure(text)
    if code in TRANSIENT or err.http_status >= 500 or err.http_status == 408:
        return TransientFailure(text)
    # 100 invalid parameter, 131008/131009 parameter missing or invalid, 131051 unsupported
    # type, 1320xx template problems, 131030 recipient not on the test allow-list, ...:
    # sending the same request again cannot succeed.
    return PermanentFailure(text)

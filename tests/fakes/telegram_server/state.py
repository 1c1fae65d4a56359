"""What a fake Bot API holds: its settings and everything it remembers between calls."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from typing import Any

from core.clock import Clock, SystemClock
from tests.fakes.telegram_server.constants import TOKEN_RE
from tests.fakes.telegram_server.http_server import HttpProtocol
from tests.fakes.telegram_server.records import JSON, ChatId, Rule, SentCall, StoredFile


class FakeState:
    """Settings and state of one fake bot; the other parts of FakeTelegram act on these."""

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "dahar_ngopi_bot",
        bot_name: str = "ASN Dahar Ngopi",
        rate_limit: int | None = None,
        rate_window: float = 1.0,
        latency: float = 0.0,
        strict_chats: bool = False,
        record: bool = True,
        clock: Clock | None = None,
        time_answers: bool = False,
    ) -> None:
        """Configure the fake; `start()` (or `async with`) opens the socket.

        rate_limit: answer 429 beyond this many message calls per `rate_window` seconds overall.
        latency: seconds added to every answer (the call is carried out at once).
        strict_chats: answer "chat not found" for chats no person has written from.
        record: keep `sent`, messages and files (turn off for long benches: counters only).
        time_answers: note, for each update queued, how long until the bot answered it: its
        first message to the update's chat, or for a button press the answer to its callback
        query (`answer_times`: the benchmarks' time to answer).
        """
        self._token = token or f"5{time.monotonic_ns() % 10**8:08d}:AAFake{rand_suffix(30)}"
        if not TOKEN_RE.fullmatch(self._token):
            raise ValueError("token must look like a Bot API token: '<digits>:<35 chars>'")
        self._host = host
        self._port = port
        self._clock: Clock = clock or SystemClock()
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.latency = latency
        self.strict_chats = strict_chats
        self.record = record
        self.time_answers = time_answers
        bot_id = int(self._token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self._server: asyncio.Server | None = None
        self._connections: set[HttpProtocol] = set()
        self._webhook_task: asyncio.Task[None] | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self.sent: list[SentCall] = []
        """Every call except getUpdates, in order, failed ones included (see `SentCall`)."""
        self.requests_by_method: Counter[str] = Counter()
        self.throttled_by_method: Counter[str] = Counter()
        self.requests = 0
        self.throttled = 0
        self.errors = 0
        self.webhook_deliveries: list[tuple[int, int]] = []
        """(update_id, HTTP status or 0 for a connection error) of each webhook POST."""
        self._window: deque[float] = deque()
        self._rules: list[Rule] = []
        self._delays: dict[str, float] = {}
        self._blocked: set[ChatId] = set()
        self._missing: set[ChatId] = set()
        self._migrated: dict[ChatId, int] = {}
        self._users: dict[int, JSON] = {}
        self._chats: dict[ChatId, JSON] = {}
        self._message_ids: Counter[ChatId] = Counter()
        self._messages: dict[tuple[ChatId, int], JSON] = {}
        self._message_raw: dict[tuple[ChatId, int], tuple[Any, ...]] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._file_seq = 0
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._query_seq = 0
        self._commands: dict[str, list[JSON]] = {}
        self._updates: deque[JSON] = deque()
        self._update_seq = 700_000_000
        self._updates_changed = asyncio.Event()
        self._poll_generation = 0
        self._webhook: JSON = {}
        self._sent_changed = asyncio.Event()
        self._cursors: Counter[ChatId] = Counter()
        self.answer_times: list[tuple[float, float]] = []
        """(when an update was queued, seconds until the first message to its chat after it),
        on the system's monotonic clock (the same in every process of the machine)."""
        self._unanswered: dict[ChatId, deque[float]] = {}
        self.first_answers: dict[Any, float] = {}
        """When each chat got its first message (for updates posted to the bot directly)."""

    def reset(self) -> None:
        """Forget everything that happened (calls, messages, counters, injected failures)."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        waiting = (self._updates_changed, self._sent_changed)
        self._reset_state()
        for event in waiting:  # pending polls and waits re-check against the empty state
            event.set()

    def _now(self) -> int:
        return int(self._clock.now().timestamp())


def rand_suffix(n: int) -> str:
    """`n` random characters of the alphabet Telegram uses in tokens and file ids."""
    import secrets

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "".join(secrets.choice(alphabet) for _ in range(n))

"""Records the fake keeps: the calls the bot made, uploaded and stored files, queued faults."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from tests.fakes.telegram_server.errors import ApiError

JSON = dict[str, Any]
ChatId = int | str


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (what the bot uploaded)."""

    field: str
    filename: str
    content: bytes
    mime_type: str


@dataclass(slots=True)
class SentCall:
    """One Bot API call the bot made, with decoded parameters and what the fake answered."""

    index: int
    method: str
    params: JSON
    files: dict[str, UploadedFile]
    result: Any = None
    error: JSON | None = None  # the error body ({"error_code", "description", ...}) if it failed
    at: float = 0.0  # time.monotonic() when it was handled

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error is None

    @property
    def error_code(self) -> int | None:
        """The HTTP status of a failed call (0 for a dropped connection)."""
        return None if self.error is None else int(self.error["error_code"])

    @property
    def chat_id(self) -> ChatId | None:
        """The chat the call was about (`chat_id` parameter), if any."""
        value = self.params.get("chat_id")
        return cast("ChatId | None", value)

    @property
    def text(self) -> str | None:
        """`text`, or `caption` for media, exactly as the bot sent it (HTML included)."""
        value = self.params.get("text", self.params.get("caption"))
        return None if value is None else str(value)

    @property
    def parse_mode(self) -> str | None:
        """The parse mode the bot asked for."""
        value = self.params.get("parse_mode")
        return None if value is None else str(value)

    @property
    def reply_markup(self) -> JSON | None:
        """The parsed reply_markup object, if any."""
        value = self.params.get("reply_markup")
        return cast("JSON | None", value)

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        """Rows of inline buttons ([] when there is no inline keyboard)."""
        markup = self.reply_markup or {}
        return cast("list[list[JSON]]", markup.get("inline_keyboard", []))

    @property
    def buttons(self) -> list[JSON]:
        """All inline buttons, row after row."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        """Labels of all inline buttons."""
        return [str(b.get("text", "")) for b in self.buttons]

    def button(self, text: str) -> JSON:
        """Return the inline button labelled `text` (KeyError if there is none)."""
        for candidate in self.buttons:
            if candidate.get("text") == text:
                return candidate
        raise KeyError(f"no button {text!r}; buttons: {self.button_texts}")

    @property
    def message(self) -> JSON | None:
        """The Message object the fake returned, if the result was one."""
        return (
            self.result if isinstance(self.result, dict) and "message_id" in self.result else None
        )

    @property
    def message_id(self) -> int | None:
        """Id of the message created (send*) or edited (edit*)."""
        if self.message is not None:
            return int(self.message["message_id"])
        value = self.params.get("message_id")
        return value if isinstance(value, int) else None

    @property
    def document(self) -> UploadedFile | None:
        """The uploaded document of a sendDocument call, if bytes were uploaded."""
        return self._upload("document")

    @property
    def photo(self) -> UploadedFile | None:
        """The uploaded photo of a sendPhoto call, if bytes were uploaded."""
        return self._upload("photo")

    def _upload(self, name: str) -> UploadedFile | None:
        value = self.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value[len("attach://") :])
        return self.files.get(name)

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"error {self.error_code}"
        shown = {k: v for k, v in self.params.items() if k not in ("reply_markup",)}
        keys = f" buttons={self.button_texts}" if self.buttons else ""
        return f"<SentCall #{self.index} {self.method} {shown}{keys} {status}>"


@dataclass(slots=True)
class Rule:
    """A failure queued by `fail_next` or `drop_next` for the next matching calls."""

    method: str | None
    chat_id: ChatId | None
    error: ApiError | None  # None: drop the connection instead of answering
    times: int
    processed: bool = False  # for drops: run the call first, then lose the answer


@dataclass(slots=True)
class StoredFile:
    """A file the fake serves through getFile and /file/bot<token>/<file_path>."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None


@dataclass(slots=True)
class Described:
    """A result that carries Telegram's optional `description` (setWebhook: "Webhook was set")."""

    result: Any
    description: str


def norm_chat(chat_id: ChatId) -> ChatId:
    """A chat id as the fake keys chats: a numeric string becomes an int."""
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
        return int(chat_id)
    return chat_id

"""Chats and messages: send, edit and delete messages, answer callback queries."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_server.entities import parse_html, u16
from tests.fakes.telegram_server.errors import ApiError
from tests.fakes.telegram_server.faults import Faults
from tests.fakes.telegram_server.files import Files, image_size
from tests.fakes.telegram_server.records import JSON, UploadedFile

_TEXT_LIMIT = 4096
_CAPTION_LIMIT = 1024
_TEXT_BUTTON_ERROR = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)


class Messages(Faults, Files):
    """The chats the bot writes to and the messages in them, checked as Telegram checks them."""

    def _chat_for(self, params: JSON) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        self._check_chat_faults(chat_id)
        chat = self._chats.get(chat_id)
        if chat is not None:
            return chat
        if self.strict_chats or not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id > 0:
            chat = {"id": chat_id, "first_name": f"User{chat_id}", "type": "private"}
        else:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = {"id": chat_id, "title": "Grup Uji", "type": kind}
        if self.record:
            self._chats[chat_id] = chat
        return chat

    def _new_message(self, chat: JSON, sender: JSON) -> JSON:
        chat_id = chat["id"]
        self._message_ids[chat_id] += 1
        return {
            "message_id": self._message_ids[chat_id],
            "from": sender,
            "chat": chat,
            "date": self._now(),
        }

    def _store(self, message: JSON, raw: tuple[Any, ...]) -> None:
        if self.record:
            key = (message["chat"]["id"], int(message["message_id"]))
            self._messages[key] = message
            self._message_raw[key] = raw

    def _send_message(self, params: JSON) -> JSON:
        chat = self._chat_for(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        plain, entities = _render(text, params)
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if u16(plain) > _TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = self._new_message(chat, self.bot_user)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._attach_reply(message, params)
        self._store(message, (text, params.get("parse_mode"), params.get("entities"), markup))
        return message

    def _attach_reply(self, message: JSON, params: JSON) -> None:
        reply = params.get("reply_parameters")
        reply_id = (
            reply.get("message_id")
            if isinstance(reply, dict)
            else params.get("reply_to_message_id")
        )
        if isinstance(reply_id, int):
            original = self._messages.get((message["chat"]["id"], reply_id))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }

    def _send_media(self, params: JSON, files: dict[str, UploadedFile], kind: str) -> JSON:
        chat = self._chat_for(params)
        upload, stored = self._input_file(params, files, kind)
        caption = params.get("caption")
        plain: str = ""
        entities: list[JSON] = []
        if isinstance(caption, str) and caption:
            plain, entities = _render(caption, params, entities_key="caption_entities")
            if u16(plain) > _CAPTION_LIMIT:
                raise ApiError(400, "Bad Request: message caption is too long")
        markup = _check_markup(params.get("reply_markup"))
        message = self._new_message(chat, self.bot_user)
        size = len(stored.content) if stored.content is not None else 0
        if kind == "document":
            message["document"] = {
                "file_name": upload.filename if upload else stored.file_path.rsplit("/", 1)[-1],
                "mime_type": upload.mime_type if upload else "application/octet-stream",
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": size,
            }
        else:
            width, height = image_size(stored.content or b"")
            message["photo"] = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            ]
        if plain:
            message["caption"] = plain
            if entities:
                message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._attach_reply(message, params)
        self._store(
            message, (caption, params.get("parse_mode"), params.get("caption_entities"), markup)
        )
        return message

    def _edit(self, params: JSON, *, text: bool, caption: bool = False) -> JSON | bool:
        if params.get("inline_message_id"):
            return True
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        key = (chat["id"], message_id)
        markup = _check_markup(params.get("reply_markup"))
        current = self._messages.get(key)
        if current is None:
            if self.record:
                raise ApiError(400, "Bad Request: message to edit not found")
            current = self._new_message(chat, self.bot_user)  # counters-only mode keeps no messages
            current["message_id"] = message_id
        elif current.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        old_raw = self._message_raw.get(key, (None, None, None, None))
        updated = {k: v for k, v in current.items() if k != "reply_markup"}
        if text:
            field_name = "caption" if caption else "text"
            new_text = params.get(field_name)
            if caption:
                if "caption" not in current and not any(
                    k in current for k in ("document", "photo")
                ):
                    raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            elif "text" not in current and self.record:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            if not caption and (not isinstance(new_text, str) or not new_text.strip()):
                raise ApiError(400, "Bad Request: message text is empty")
            entities_key = "caption_entities" if caption else "entities"
            plain, entities = _render(str(new_text or ""), params, entities_key=entities_key)
            if not caption and u16(plain) > _TEXT_LIMIT:
                raise ApiError(400, "Bad Request: message is too long")
            new_raw = (new_text, params.get("parse_mode"), params.get(entities_key), markup)
            updated.pop(entities_key, None)
            updated[field_name] = plain
            if entities:
                updated[entities_key] = entities
        else:
            new_raw = (*old_raw[:3], markup)
        if self.record and (new_raw == old_raw or _same_content(current, updated, markup)):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        if markup is not None:
            updated["reply_markup"] = markup
        updated["edit_date"] = self._now()
        self._store(updated, new_raw)
        return updated

    def _delete_message(self, params: JSON) -> bool:
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        key = (chat["id"], message_id if isinstance(message_id, int) else -1)
        if self.record:
            if key not in self._messages:
                raise ApiError(400, "Bad Request: message to delete not found")
            del self._messages[key]
        return True

    def _answer_callback(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        answered = self._queries.get(query_id)
        if self.record and (answered is None or answered):
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._queries[query_id] = True
        return True


def _render(text: str, params: JSON, *, entities_key: str = "entities") -> tuple[str, list[JSON]]:
    mode = str(params.get("parse_mode") or "")
    if mode.upper() == "HTML":
        return parse_html(text)
    given = params.get(entities_key)
    # Markdown modes are passed through unparsed: this bot renders HTML only.
    return text, given if isinstance(given, list) else []


def _check_markup(markup: Any) -> JSON | None:
    """Validate reply_markup; return it if inline (the only kind a Message carries)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an '
            "Array of Arrays",
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")):
                raise ApiError(400, _TEXT_BUTTON_ERROR)
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode())
                if not 1 <= size <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            elif "url" in button:
                if not str(button["url"]).startswith(("http://", "https://", "tg://")):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            elif len(button) == 1:
                raise ApiError(400, _TEXT_BUTTON_ERROR)
    return markup


def _same_content(current: JSON, updated: JSON, markup: JSON | None) -> bool:
    keys = ("text", "entities", "caption", "caption_entities")
    return (
        all(current.get(k) == updated.get(k) for k in keys)
        and current.get("reply_markup") == markup
    )

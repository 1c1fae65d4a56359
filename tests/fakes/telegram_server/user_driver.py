"""The user driver: act as a person (write, send a file, press a button) by queueing updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakes.telegram_server.entities import command_entities
from tests.fakes.telegram_server.files import image_size
from tests.fakes.telegram_server.messages import Messages
from tests.fakes.telegram_server.records import JSON, ChatId, SentCall, norm_chat
from tests.fakes.telegram_server.updates import Updates


class UserDriver(Updates, Messages):
    """What people do, each queued as the Update Telegram would deliver."""

    def user_message(
        self,
        user_id: int,
        text: str,
        chat_type: str = "private",
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        chat_id: int | None = None,
        title: str | None = None,
        reply_to: SentCall | Mapping[str, Any] | int | None = None,
    ) -> JSON:
        """Queue a text message a person wrote; return the Update (commands get entities)."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        chat = self._person_chat(user, chat_type, chat_id, title)
        message = self._incoming_message(user, chat, reply_to)
        message["text"] = text
        if entities := command_entities(text):
            message["entities"] = entities
        return self.inject({"message": message})

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        title: str = "Grup Uji",
        chat_type: str = "supergroup",
        first_name: str | None = None,
        username: str | None = None,
        reply_to: SentCall | Mapping[str, Any] | int | None = None,
    ) -> JSON:
        """Queue a text message a person wrote in a group chat; return the Update."""
        return self.user_message(
            user_id,
            text,
            chat_type,
            first_name=first_name,
            username=username,
            chat_id=chat_id,
            title=title,
            reply_to=reply_to,
        )

    def user_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        *,
        caption: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        """Queue a document a person sent (getFile and the download then serve `content`)."""
        user = self._user(user_id, first_name, None, username, "id")
        chat = self._person_chat(user, chat_type, chat_id, None)
        stored = self.add_file(content, folder="documents", filename=filename)
        message = self._incoming_message(user, chat, None)
        message["document"] = {
            "file_name": filename,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
        return self.inject({"message": message})

    def user_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        first_name: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> JSON:
        """Queue a photo a person sent (one size; getFile serves `content`)."""
        user = self._user(user_id, first_name, None, None, "id")
        chat = self._person_chat(user, chat_type, chat_id, None)
        stored = self.add_file(content, folder="photos", filename="photo.jpg")
        message = self._incoming_message(user, chat, None)
        width, height = image_size(content)
        message["photo"] = [{
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
            "width": width,
            "height": height,
        }]
        if caption is not None:
            message["caption"] = caption
        return self.inject({"message": message})

    def press(
        self,
        user_id: int,
        message: SentCall | Mapping[str, Any] | int,
        data: str | None = None,
        *,
        button: str | None = None,
        strict: bool = True,
        chat_id: int | None = None,
    ) -> JSON:
        """Queue a press on an inline button of a message the bot sent; return the Update.

        Give the callback `data` or the `button` label. With strict (the default) the button
        must be on the message as it is now (after edits); strict=False sends any data, like a
        forged or stale client would.
        """
        current = self._resolve_message(message, chat_id if chat_id is not None else user_id)
        buttons = [
            b for row in current.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        if button is not None:
            found = [b for b in buttons if b.get("text") == button]
            if not found:
                labels = [b.get("text") for b in buttons]
                raise LookupError(f"no button {button!r} on the message; buttons: {labels}")
            data = str(found[0].get("callback_data", ""))
        if data is None:
            raise ValueError("press() needs data or button")
        if strict and not any(b.get("callback_data") == data for b in buttons):
            raise LookupError(
                f"no button with callback_data {data!r} on the message; buttons: {buttons}"
            )
        self._query_seq += 1
        query_id = str(4_300_000_000_000_000_000 + self._query_seq)
        self._queries[query_id] = False
        user = self._user(user_id, None, None, None, "id")
        return self.inject(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": current,
                    "chat_instance": str(abs(hash(("chat", current["chat"]["id"]))) % 10**18),
                    "data": data,
                }
            }
        )

    def _user(
        self,
        user_id: int,
        first_name: str | None,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSON:
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
        }
        user = dict(user)
        if first_name is not None:
            user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user.setdefault("language_code", language_code)
        self._users[user_id] = user
        return user

    def _person_chat(
        self, user: JSON, chat_type: str, chat_id: int | None, title: str | None
    ) -> JSON:
        if chat_type == "private":
            chat: JSON = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
        else:
            if chat_id is None:
                chat_id = -1_000_000_000_000 - int(user["id"])
            known = self._chats.get(chat_id, {})
            chat = {
                "id": chat_id,
                "title": title or known.get("title", "Grup Uji"),
                "type": chat_type,
            }
        self._chats[chat["id"]] = chat
        return chat

    def _incoming_message(
        self, user: JSON, chat: JSON, reply_to: SentCall | Mapping[str, Any] | int | None
    ) -> JSON:
        message = self._new_message(chat, user)
        if reply_to is not None:
            original = self._resolve_message(reply_to, chat["id"])
            message["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        return message

    def _resolve_message(
        self, message: SentCall | Mapping[str, Any] | int, chat_id: ChatId
    ) -> JSON:
        if isinstance(message, SentCall):
            if message.message is None:
                raise ValueError(f"{message!r} did not create a message")
            found = message.message
        elif isinstance(message, int):
            stored = self._messages.get((norm_chat(chat_id), message))
            if stored is None:
                raise LookupError(f"no message {message} in chat {chat_id}")
            found = stored
        else:
            found = dict(message)
        key = (found["chat"]["id"], int(found["message_id"]))
        return dict(self._messages.get(key, found))  # the current state, after edits

"""Render a neutral `Reply` as the WhatsApp messages that carry it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.whatsapp import messages as m
from core.text import plain, split_text
from core.types import Attachment, Button, Reply

__all__ = [
    "CHOOSE_PROMPT",
    "LIST_BUTTON",
    "MORE_CHOICES",
    "MediaPart",
    "MessagePart",
    "Part",
    "cut_title",
    "render",
    "whatsapp_text",
]

# Interactive messages need a body; used when a reply has buttons but no text.
CHOOSE_PROMPT = "Silakan pilih:"
LIST_BUTTON = "Lihat pilihan"  # opens a list message (at most 20 characters)
MORE_CHOICES = "Pilihan lainnya ({page}/{pages}):"  # body of the 2nd… page of a long list


@dataclass(frozen=True)
class MessagePart:
    """A message object ready for `WhatsAppClient.send`."""

    message: dict[str, Any]


@dataclass(frozen=True)
class MediaPart:
    """A document or image still to be uploaded (or linked) before it is sent."""

    kind: m.MediaKind
    attachment: Attachment
    caption: str = ""


Part = MessagePart | MediaPart


def whatsapp_text(html: str) -> str:
    """Turn the reply HTML subset into WhatsApp formatting (*bold*, _italic_)."""
    return plain(html, bold="*", italic="_").strip()


def cut_title(label: str, limit: int) -> str:
    """Shorten `label` to `limit` characters at a word boundary, ending with '…'."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    room = limit - 1  # keep one character for the ellipsis
    cut = label.rfind(" ", 0, room + 1)
    # A boundary that keeps less than half the room says too little: cut inside the word.
    head = label[:cut] if cut >= room // 2 else label[:room]
    return head.rstrip(" ,.;:-–") + "…"


def _unique_titles(titles: list[str], limit: int) -> list[str]:
    # WhatsApp refuses two buttons with the same title; cutting can make them collide.
    seen: set[str] = set()
    out = []
    for i, title in enumerate(titles, 1):
        if title in seen:
            suffix = f" ({i})"
            title = cut_title(title, limit - len(suffix)) + suffix
        seen.add(title)
        out.append(title)
    return out


def _text_message(text: str, preview_links: bool | None) -> MessagePart:
    has_link = "http://" in text or "https://" in text
    preview = has_link if preview_links is None else preview_links
    return MessagePart(m.text_message(text, preview_url=preview))


def _buttons(body: str, buttons: Sequence[Button]) -> list[MessagePart]:
    titles = _unique_titles([cut_title(b.label, m.BUTTON_TITLE_LIMIT) for b in buttons],
                            m.BUTTON_TITLE_LIMIT)
    reply_buttons = [m.ReplyButton(b.data, t) for b, t in zip(buttons, titles, strict=True)]
    return [MessagePart(m.buttons_message(body, reply_buttons))]


def _row(button: Button, title: str) -> m.ListRow:
    label = " ".join(button.label.split())
    # A cut title keeps its full wording in the description, which allows 72 characters.
    description = "" if title == label else cut_title(label, m.ROW_DESCRIPTION_LIMIT)
    return m.ListRow(button.data, title, description)


def _lists(body: str, buttons: Sequence[Button]) -> list[MessagePart]:
    titles = _unique_titles([cut_title(b.label, m.ROW_TITLE_LIMIT) for b in buttons],
                            m.ROW_TITLE_LIMIT)
    rows = [_row(b, t) for b, t in zip(buttons, titles, strict=True)]
    pages = [rows[i : i + m.MAX_ROWS] for i in range(0, len(rows), m.MAX_ROWS)]
    parts = []
    for number, page in enumerate(pages, 1):
        text = body if number == 1 else MORE_CHOICES.format(page=number, pages=len(pages))
        section = m.ListSection(page)
        parts.append(MessagePart(m.list_message(text, LIST_BUTTON, [section])))
    return parts


def _split_for_interactive(text: str) -> tuple[list[str], str]:
    """Split `text` into leading text messages and a body short enough for buttons."""
    if not text:
        return [], CHOOSE_PROMPT
    chunks = split_text(text, m.BODY_LIMIT)
    body = chunks.pop()
    if len(body) > m.INTERACTIVE_BODY_LIMIT:
        pieces = split_text(body, m.INTERACTIVE_BODY_LIMIT)
        body = pieces.pop()
        chunks += split_text("\n\n".join(pieces), m.BODY_LIMIT)
    return chunks, body


def render(reply: Reply) -> list[Part]:
    """Return the WhatsApp messages for `reply`, in sending order.

    - text: WhatsApp formatting, split at 4,096 characters on paragraph boundaries;
    - callback buttons: up to 3 become reply buttons, more become a list (10 rows per
      message: a longer list is sent as several lists, "Pilihan lainnya (2/3)");
      an interactive body holds 1,024 characters, so longer text goes in text messages
      before it;
    - url buttons: WhatsApp has no link buttons outside templates, so they become
      "label: url" lines at the end of the text;
    - document / photo: sent first, with the text as caption when it fits and no buttons
      follow; otherwise the text comes after the file;
    - the Telegram-only parts (persistent keyboard, editing, toasts) have no WhatsApp
      equivalent: a toast (`notice`) is sent as text when the reply has nothing else.
    """
    text = whatsapp_text(reply.text)
    flat = [b for row in reply.buttons for b in row]
    links = [b for b in flat if b.url]
    callbacks: list[Button] = []
    for b in flat:
        if not b.url and b.data and all(b.data != c.data for c in callbacks):
            callbacks.append(b)
    if links:
        lines = "\n".join(f"{' '.join(b.label.split())}: {b.url}" for b in links)
        text = f"{text}\n\n{lines}" if text else lines
    media: list[MediaPart] = []
    if reply.photo is not None:
        media.append(MediaPart("image", reply.photo))
    if reply.document is not None:
        media.append(MediaPart("document", reply.document))
    if not text and not callbacks and not media and reply.notice:
        text = reply.notice.strip()

    parts: list[Part] = []
    if len(media) == 1 and text and not callbacks and len(text) <= m.CAPTION_LIMIT:
        parts.append(MediaPart(media[0].kind, media[0].attachment, caption=text))
        return parts
    parts.extend(media)
    if callbacks:
        chunks, body = _split_for_interactive(text)
        parts.extend(_text_message(c, reply.preview) for c in chunks)
        if len(callbacks) <= m.MAX_BUTTONS:
            parts.extend(_buttons(body, callbacks))
        else:
            parts.extend(_lists(body, callbacks))
    elif text:
        parts.extend(_text_message(c, reply.preview) for c in split_text(text, m.BODY_LIMIT))
    return parts

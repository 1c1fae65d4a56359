"""Telegram's HTML parse mode turned into plain text and entities with UTF-16 offsets."""

from __future__ import annotations

import re
from html import unescape

from tests.fakes.telegram_server.errors import ApiError
from tests.fakes.telegram_server.records import JSON

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^>]*)?)>")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "a", "span", "tg-emoji"})


def u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Turn Bot API HTML into (plain text, entities), raising ApiError 400 where Telegram would."""
    if "<" not in source and "&" not in source:
        return source, []
    pieces: list[str] = []
    offset = 0
    stack: list[tuple[str, int, JSON]] = []
    entities: list[JSON] = []
    pos = 0
    while True:
        lt = source.find("<", pos)
        segment = source[pos : lt if lt >= 0 else len(source)]
        if "&" in segment:
            segment = unescape(segment)
        pieces.append(segment)
        offset += u16(segment)
        if lt < 0:
            break
        match = _TAG_RE.match(source, lt)
        if match is None:
            word = re.match(r"</?([^\s>]*)", source[lt:])
            name = word.group(1) if word else ""
            raise ApiError(
                400,
                "Bad Request: can't parse entities: Unsupported start tag "
                f'"{name}" at byte offset {len(source[:lt].encode())}',
            )
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if not closing:
            if name not in _ALLOWED_TAGS or (
                name == "span" and "tg-spoiler" not in attrs.replace("'", '"')
            ):
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag "
                    f'"{name}" at byte offset {len(source[:lt].encode())}',
                )
            extra = (
                {
                    m.group(1).lower(): unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR_RE.finditer(attrs)
                }
                if attrs
                else {}
            )
            stack.append((name, offset, extra))
        else:
            if not stack or stack[-1][0] != name:
                expected = f'"</{stack[-1][0]}>"' if stack else "nothing"
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{len(source[:lt].encode())}, expected {expected}, found "</{name}>"',
                )
            tag, start, extra = stack.pop()
            entity = _entity(tag, start, offset - start, extra, stack)
            if entity is not None:
                entities.append(entity)
        pos = match.end()
    if stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"',
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(pieces), entities


def _entity(
    tag: str, start: int, length: int, attrs: JSON, open_tags: list[tuple[str, int, JSON]]
) -> JSON | None:
    if length == 0:
        return None
    if tag == "code" and open_tags and open_tags[-1][0] == "pre" and open_tags[-1][1] == start:
        # <pre><code class="language-x"> is one pre entity with a language, not two entities
        language = str(attrs.get("class", ""))
        if language.startswith("language-"):
            open_tags[-1][2]["language"] = language[len("language-") :]
        return None
    if tag == "a":
        href = str(attrs.get("href", ""))
        if not href:
            return None
        return {"type": "text_link", "offset": start, "length": length, "url": href}
    if tag == "span":
        return {"type": "spoiler", "offset": start, "length": length}
    if tag == "tg-emoji":
        return {
            "type": "custom_emoji",
            "offset": start,
            "length": length,
            "custom_emoji_id": str(attrs.get("emoji-id", "")),
        }
    if tag == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote", "offset": start, "length": length}
    entity: JSON = {"type": _SIMPLE_TAGS[tag], "offset": start, "length": length}
    if tag == "pre" and "language" in attrs:
        entity["language"] = attrs["language"]
    return entity


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def command_entities(text: str) -> list[JSON]:
    """bot_command entities as Telegram adds them to typed text (CommandHandler needs them)."""
    return [
        {"type": "bot_command", "offset": u16(text[: m.start()]), "length": u16(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]

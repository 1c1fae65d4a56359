"""Helpers for the HTML subset that replies are written in."""

from __future__ import annotations

import html
import re

__all__ = ["MAX_INPUT", "esc", "plain", "split_text"]

# Anything longer than this from a person is refused politely rather than processed.
MAX_INPUT = 1000

_TAG = re.compile(r"<(/?)(b|i|u|code|a)(\s+href=\"([^\"]*)\")?>")


def esc(value: object) -> str:
    """Escape text from people (or the database) for the HTML subset."""
    return html.escape(str(value), quote=False)


def plain(text: str, *, bold: str = "", italic: str = "") -> str:
    """Render the HTML subset as plain text (WhatsApp uses `bold='*'`, `italic='_'`)."""

    def sub(m: re.Match[str]) -> str:
        tag = m.group(2)
        if tag == "b":
            return bold
        if tag == "i":
            return italic
        if tag == "code":
            return "`" if bold else ""
        return ""

    # Links become "label (url)" so the address survives on plain-text channels.
    text = re.sub(
        r"<a\s+href=\"([^\"]*)\">(.*?)</a>",
        lambda m: m.group(2) if m.group(2) == html.unescape(m.group(1))
        else f"{m.group(2)} ({html.unescape(m.group(1))})",
        text,
    )
    return html.unescape(_TAG.sub(sub, text))


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text into chunks of at most `limit` characters on paragraph boundaries."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        piece = para if not current else current + "\n\n" + para
        if len(piece) <= limit:
            current = piece
            continue
        if current:
            chunks.append(current)
        while len(para) > limit:
            cut = para.rfind("\n", 0, limit)
            if cut <= 0:
                cut = para.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            chunks.append(para[:cut])
            para = para[cut:].lstrip()
        current = para
    if current:
        chunks.append(current)
    return chunks


def jp_text(value: float) -> str:
    """1.5 → '1,5' (Indonesian decimal comma)."""
    return f"{value:g}".replace(".", ",")

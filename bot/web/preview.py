"""An announcement as a phone shows it: Telegram's HTML and WhatsApp's *bold* _italic_,
turned into safe HTML for a chat bubble (only known tags survive; links must be http(s))."""

from __future__ import annotations

import html
import re

from markupsafe import Markup

from bot.whatsapp.render import whatsapp_text

__all__ = ["telegram_bubble", "whatsapp_bubble"]

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z-]*)((?:\s[^>]*)?)>")
_HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""")
_SIMPLE = {"b": "strong", "strong": "strong", "i": "em", "em": "em", "u": "u", "ins": "u",
           "s": "s", "strike": "s", "del": "s", "code": "code", "pre": "pre",
           "blockquote": "blockquote"}


def _text(segment: str) -> str:
    # Telegram HTML text holds &lt; &gt; &amp; already; a stray bracket stays text.
    return segment.replace("<", "&lt;").replace(">", "&gt;")


def _tag(closing: bool, name: str, attrs: str) -> str:
    if name in _SIMPLE:
        return f"</{_SIMPLE[name]}>" if closing else f"<{_SIMPLE[name]}>"
    if name == "a":
        if closing:
            return "</a>"
        found = _HREF.search(attrs)
        href = html.unescape(found.group(1)) if found else ""
        if not href.startswith(("https://", "http://")):
            return "<a>"
        return f'<a href="{html.escape(href)}" rel="noopener noreferrer" target="_blank">'
    if name == "tg-spoiler" or (name == "span" and "tg-spoiler" in attrs):
        return "</span>" if closing else '<span class="spoiler">'
    return ""  # anything else is dropped (check_html never lets it through anyway)


def telegram_bubble(text: str) -> Markup:
    """Checked Telegram HTML as it shows in the Telegram app."""
    out: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        out.append(_text(text[pos:m.start()]))
        out.append(_tag(m.group(1) == "/", m.group(2).lower(), m.group(3)))
        pos = m.end()
    out.append(_text(text[pos:]))
    # Safe: built from escaped text and fixed tags only.
    return Markup("".join(out))


_WA = (
    (re.compile(r"```(.+?)```", re.DOTALL), "code"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "s"),
)


def whatsapp_bubble(text: str) -> Markup:
    """The reply HTML subset as WhatsApp gets it (*bold*, _italic_) and shows it."""
    shown = html.escape(whatsapp_text(text))
    for pattern, tag in _WA:
        shown = pattern.sub(rf"<{tag}>\1</{tag}>", shown)
    return Markup(shown)  # escaped first, then fixed tags only

"""Validate an admin's Telegram-HTML text before it is broadcast, and convert it for others."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

__all__ = ["ALLOWED_TAGS", "HtmlCheck", "check_html", "to_basic_html", "visible_text"]

# Telegram's parse_mode=HTML tags (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = (
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "blockquote", "span",
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_ATTR = re.compile(r"""\s*([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_URL_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_TAG_LIST = ", ".join(f"<{t}>" for t in ALLOWED_TAGS if t != "span")


@dataclass
class HtmlCheck:
    """The outcome: `text` is the normalised HTML (stray < & > escaped); `errors` in Indonesian."""

    text: str
    errors: list[str] = field(default_factory=list)
    visible_length: int = 0

    @property
    def ok(self) -> bool:
        """Whether Telegram will accept the text."""
        return not self.errors


def _attrs(raw: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    pos = 0
    raw = raw.strip()
    while pos < len(raw):
        m = _ATTR.match(raw, pos)
        if m is None or m.end() == pos:
            return None
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if value is None:
            value = m.group(4) or ""
        out[m.group(1).lower()] = value
        pos = m.end()
    return out


def _tag_error(name: str, attrs: dict[str, str]) -> str | None:
    """What is wrong with an opening tag's attributes, if anything."""
    if name == "a":
        href = attrs.get("href", "")
        if not href:
            return 'Tautan <a> perlu alamat, misalnya <a href="https://bpsdm.jatimprov.go.id">.'
        if not html.unescape(href).startswith(_URL_SCHEMES):
            return f"Alamat tautan harus diawali https:// (tertulis: {href})."
        extra = set(attrs) - {"href"}
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            return 'Tag <span> hanya boleh sebagai <span class="tg-spoiler">.'
        extra = set(attrs) - {"class"}
    elif name == "code":
        if "class" in attrs and not attrs["class"].startswith("language-"):
            return 'Atribut class pada <code> harus berbentuk class="language-…".'
        extra = set(attrs) - {"class"}
    elif name == "blockquote":
        extra = set(attrs) - {"expandable"}
    else:
        extra = set(attrs)
    if extra:
        return f"Tag <{name}> tidak boleh memiliki atribut {', '.join(sorted(extra))}."
    return None


@dataclass
class _Scan:
    """The text converted so far, the tags still open and what is wrong."""

    out: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    visible: int = 0


def check_html(text: str) -> HtmlCheck:
    """Check `text` against Telegram's HTML rules: known tags only, balanced, properly nested.

    A `<`, `>` or `&` that is not part of a tag or entity is escaped (people write
    "nilai < 5" and "A & B"), but anything that looks like a tag must be a valid one.
    """
    scan = _Scan()
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            pos = _scan_tag(text, pos, scan)
        elif ch == "&":
            pos = _scan_entity(text, pos, scan)
        else:
            scan.out.append("&gt;" if ch == ">" else ch)
            scan.visible += 1
            pos += 1
    for name in reversed(scan.stack):
        scan.errors.append(f"Tag <{name}> dibuka tetapi tidak ditutup (tambahkan </{name}>).")
    return HtmlCheck("".join(scan.out), list(dict.fromkeys(scan.errors)), scan.visible)


def _scan_entity(text: str, pos: int, scan: _Scan) -> int:
    """Keep an entity at `pos`, or escape a bare `&`; return where to go on."""
    m = _ENTITY.match(text, pos)
    scan.visible += 1
    if m is None:
        scan.out.append("&amp;")
        return pos + 1
    scan.out.append(m.group(0))
    return m.end()


def _scan_tag(text: str, pos: int, scan: _Scan) -> int:
    """Check the tag at `pos` (or escape a bare `<`); return where to go on."""
    m = _TAG.match(text, pos)
    if m is None:
        nxt = text[pos + 1 : pos + 2]
        if nxt.isalpha() or nxt == "/":
            snippet = text[pos : pos + 20].split("\n")[0]
            scan.errors.append(f"Tag tidak lengkap: {snippet}… (tutup dengan >).")
        scan.out.append("&lt;")
        scan.visible += 1
        return pos + 1
    closing, name, raw_attrs, self_closing = (
        m.group(1), m.group(2).lower(), m.group(3), m.group(4)
    )
    scan.out.append(m.group(0))
    if name not in ALLOWED_TAGS:
        scan.errors.append(f"Tag <{name}> tidak didukung Telegram. Yang boleh: {_TAG_LIST}.")
    elif self_closing:
        scan.errors.append(f"Tag <{name}/> harus berpasangan: <{name}>…</{name}>.")
    elif closing:
        _close_tag(name, raw_attrs, scan)
    else:
        _open_tag(name, raw_attrs, scan)
    return m.end()


def _close_tag(name: str, raw_attrs: str, scan: _Scan) -> None:
    """A closing tag must close the tag opened last."""
    stack = scan.stack
    if raw_attrs.strip():
        scan.errors.append(f"Tag penutup </{name}> tidak boleh memiliki atribut.")
    if stack and stack[-1] == name:
        stack.pop()
    elif name in stack:
        scan.errors.append(
            f"</{name}> ditulis sebelum </{stack[-1]}>: tag harus ditutup "
            "berurutan, yang terakhir dibuka ditutup lebih dulu."
        )
        while stack and stack[-1] != name:
            stack.pop()
        stack.pop()
    else:
        scan.errors.append(f"</{name}> menutup tag yang tidak pernah dibuka.")


def _open_tag(name: str, raw_attrs: str, scan: _Scan) -> None:
    """An opening tag: its attributes, and where it may be nested."""
    stack = scan.stack
    attrs = _attrs(raw_attrs)
    problem = (f"Atribut tag <{name}> tidak dapat dibaca." if attrs is None
               else _tag_error(name, attrs))
    if problem:
        scan.errors.append(problem)
    if stack and stack[-1] in ("code", "pre") and not (stack[-1] == "pre" and name == "code"):
        scan.errors.append(f"Di dalam <{stack[-1]}> tidak boleh ada tag lain (<{name}>).")
    if name == "blockquote" and "blockquote" in stack:
        scan.errors.append("<blockquote> tidak boleh berada di dalam <blockquote>.")
    if name == "a" and "a" in stack:
        scan.errors.append("Tautan <a> tidak boleh berada di dalam tautan lain.")
    stack.append(name)


def visible_text(text: str) -> str:
    """The text a reader sees (tags removed, entities decoded)."""
    return html.unescape(_TAG.sub("", text))


_BASIC = {"strong": "b", "em": "i", "ins": "u", "b": "b", "i": "i", "u": "u", "code": "code",
          "pre": "code"}


def to_basic_html(text: str, *, strike: str = "~") -> str:
    """Convert checked Telegram HTML to the core subset (<b>, <i>, <u>, <code>, <a href>)
    that every channel renders: strikethrough becomes `strike` marks (WhatsApp's ~),
    quotes become "> " lines, spoilers plain text."""

    def tag(m: re.Match[str]) -> str:
        closing, name = m.group(1), m.group(2).lower()
        if name == "a":
            if closing:
                return "</a>"
            attrs = _attrs(m.group(3)) or {}
            return f'<a href="{attrs.get("href", "")}">'
        if name in _BASIC:
            return f"<{closing}{_BASIC[name]}>"
        if name in ("s", "strike", "del"):
            return strike
        if name == "blockquote":
            return "\x00" if not closing else "\x01"
        return ""

    converted = _TAG.sub(tag, text)

    def quote(m: re.Match[str]) -> str:
        return "\n".join("> " + line for line in m.group(1).strip("\n").split("\n"))

    return re.sub(r"\x00(.*?)\x01", quote, converted, flags=re.DOTALL)

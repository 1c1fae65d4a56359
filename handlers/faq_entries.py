"""FAQ entries: the YAML format, its validation on load, and export."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_ANSWER",
    "MAX_ID",
    "FaqEntry",
    "FaqFormatError",
    "default_entries",
    "dump_entries",
    "load_entries",
]

# Ids travel in signed button data (64 bytes with signature and prefix): keep them short.
MAX_ID = 32
# Below Telegram's and WhatsApp's 4096-character limit, leaving room for a heading.
MAX_ANSWER = 3500
MAX_QUESTION = 200

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TAG = re.compile(r"<(/?)([a-zA-Z]*)(\s[^>]*)?>")
_ALLOWED_TAGS = frozenset({"b", "i", "u", "code", "a"})
_FIELDS = ("id", "question", "answer", "phrasings", "keywords")


EMPTY = "FAQ harus berupa daftar entri yang tidak kosong"


class FaqFormatError(ValueError):
    """The FAQ file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class FaqEntry:
    """One question of the FAQ with its answer and the other ways people ask it."""

    id: str
    question: str
    answer: str
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


def _where(index: int, raw: dict[str, Any]) -> str:
    ident = raw.get("id")
    return f"entri {index + 1}" + (f" (id {ident!r})" if isinstance(ident, str) else "")


def _text(raw: dict[str, Any], name: str, where: str, limit: int) -> str:
    value = raw.get(name)
    if value is None:
        raise FaqFormatError(f"{where}: kolom {name!r} tidak ada")
    if not isinstance(value, str) or not value.strip():
        raise FaqFormatError(f"{where}: kolom {name!r} harus berisi teks")
    if len(value) > limit:
        raise FaqFormatError(f"{where}: kolom {name!r} lebih dari {limit} karakter")
    return value.strip()


def _texts(raw: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = raw.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FaqFormatError(f"{where}: kolom {name!r} harus berupa daftar teks yang tidak kosong")
    return tuple(v.strip() for v in value)


def _check_html(answer: str, where: str) -> None:
    """Allow only the reply HTML subset, with every tag closed in order."""
    open_tags: list[str] = []
    for m in _TAG.finditer(answer):
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag not in _ALLOWED_TAGS:
            raise FaqFormatError(f"{where}: jawaban memakai tag <{tag}>; yang boleh: b, i, u, "
                                 "code, a")
        if not closing:
            open_tags.append(tag)
        elif not open_tags or open_tags.pop() != tag:
            raise FaqFormatError(f"{where}: jawaban menutup </{tag}> tanpa tag pembuka yang "
                                 "cocok")
    if open_tags:
        raise FaqFormatError(f"{where}: jawaban membiarkan <{open_tags[-1]}> terbuka")


def _entry(index: int, raw: object) -> FaqEntry:
    if not isinstance(raw, dict):
        raise FaqFormatError(f"entri {index + 1}: harus berisi kolom id, question, answer")
    where = _where(index, raw)
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        fields = ", ".join(_FIELDS)
        raise FaqFormatError(f"{where}: kolom {unknown[0]!r} tidak dikenal (kolom: {fields})")
    ident = _text(raw, "id", where, MAX_ID)
    if not _ID.match(ident):
        raise FaqFormatError(f"{where}: id hanya boleh huruf kecil, angka, dan '-'")
    answer = _text(raw, "answer", where, MAX_ANSWER)
    _check_html(answer, where)
    return FaqEntry(
        id=ident,
        question=_text(raw, "question", where, MAX_QUESTION),
        answer=answer,
        phrasings=_texts(raw, "phrasings", where),
        keywords=_texts(raw, "keywords", where),
    )


def load_entries(source: str | Path) -> list[FaqEntry]:
    """Parse and validate FAQ entries from a file (a `Path`) or YAML text (a `str`).

    Raises `FaqFormatError` naming the entry at fault: missing or empty fields, unknown
    fields, a bad or duplicate id, HTML outside the reply subset, or a question/phrasing
    given for two entries. Nothing is returned unless the whole file is valid.
    """
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FaqFormatError(f"bukan YAML yang valid: {exc}") from None
    if not isinstance(data, list) or not data:
        raise FaqFormatError(EMPTY)
    entries = [_entry(i, raw) for i, raw in enumerate(data)]
    seen: set[str] = set()
    asked: dict[str, str] = {}
    for i, e in enumerate(entries):
        if e.id in seen:
            raise FaqFormatError(f"entri {i + 1} (id {e.id!r}): id ganda")
        seen.add(e.id)
        for phrase in (e.question, *e.phrasings):
            key = " ".join(phrase.lower().split())
            other = asked.setdefault(key, e.id)
            if other != e.id:
                raise FaqFormatError(
                    f"entri {i + 1} (id {e.id!r}): {phrase!r} sudah ditanyakan oleh {other!r}"
                )
    return entries


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_entries(entries: Iterable[FaqEntry]) -> str:
    """Return entries as FAQ YAML that `load_entries` reads back to the same entries."""
    data = [
        {
            "id": e.id,
            "question": e.question,
            "answer": e.answer,
            "phrasings": list(e.phrasings),
            "keywords": list(e.keywords),
        }
        for e in entries
    ]
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def default_entries() -> list[FaqEntry]:
    """The starting knowledge base shipped with the package (handlers/faq_data/faq.yaml)."""
    text = resources.files("handlers.faq_data").joinpath("faq.yaml").read_text(encoding="utf-8")
    return load_entries(text)

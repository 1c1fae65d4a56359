"""Rendering neutral replies as WhatsApp messages."""

from __future__ import annotations

from typing import Any

import pytest

from bot.whatsapp import messages as m
from bot.whatsapp.render import (
    CHOOSE_PROMPT,
    LIST_BUTTON,
    MediaPart,
    MessagePart,
    Part,
    cut_title,
    render,
)
from core.types import Attachment, Button, Keyboard, Reply


def _messages(parts: list[Part]) -> list[dict[str, Any]]:
    assert all(isinstance(p, MessagePart) for p in parts)
    return [p.message for p in parts if isinstance(p, MessagePart)]


def _body(message: dict[str, Any]) -> str:
    if message["type"] == "text":
        return str(message["text"]["body"])
    return str(message["interactive"]["body"]["text"])


@pytest.mark.parametrize(
    ("label", "limit", "expected"),
    [
        ("Hadir", 20, "Hadir"),
        ("  Lihat   jadwal  ", 20, "Lihat jadwal"),
        ("Konfirmasi kehadiran sekarang", 20, "Konfirmasi…"),
        ("Lihat jadwal pekan depan", 20, "Lihat jadwal pekan…"),
        ("Pengembangan,kompetensi-ASN", 20, "Pengembangan,kompet…"),
        ("Forum ASN Berbagi Ilmu: praktik baik", 24, "Forum ASN Berbagi Ilmu…"),
    ],
)
def test_cut_title(label: str, limit: int, expected: str) -> None:
    title = cut_title(label, limit)
    assert title == expected
    assert len(title) <= limit


def test_cut_title_never_exceeds_the_limit() -> None:
    label = "Sesi ASN Belajar tentang manajemen risiko pembangunan daerah"
    for limit in range(5, 40):
        title = cut_title(label, limit)
        assert len(title) <= limit
        assert title.endswith("…")
        # Cut at a word boundary whenever that keeps at least half the room.
        head = title[:-1]
        assert label.startswith(head)


def test_text_is_formatted_for_whatsapp() -> None:
    [msg] = _messages(render(Reply("<b>Menu</b> hari ini: <i>ASN Belajar</i> &amp; diskusi")))
    assert msg == {
        "type": "text",
        "text": {"body": "*Menu* hari ini: _ASN Belajar_ & diskusi", "preview_url": False},
    }


def test_link_turns_preview_on_unless_the_reply_says_no() -> None:
    html = 'Tautan: <a href="https://zoom.us/j/1">Zoom</a>'
    [msg] = _messages(render(Reply(html)))
    assert msg["text"] == {"body": "Tautan: Zoom (https://zoom.us/j/1)", "preview_url": True}
    [quiet] = _messages(render(Reply(html, preview=False)))
    assert quiet["text"]["preview_url"] is False


def test_up_to_three_buttons_become_reply_buttons() -> None:
    reply = Reply(
        "Apakah Bapak/Ibu hadir di ASN Belajar?",
        buttons=[[Button("✅ Hadir", "s1.att:1:1")],
                 [Button("Tidak hadir", "s2.att:1:0"), Button("Ingatkan saya lagi nanti", "s3.r")]],
    )
    [msg] = _messages(render(reply))
    assert msg["type"] == "interactive"
    assert msg["interactive"]["type"] == "button"
    assert msg["interactive"]["body"] == {"text": "Apakah Bapak/Ibu hadir di ASN Belajar?"}
    buttons = [b["reply"] for b in msg["interactive"]["action"]["buttons"]]
    assert buttons == [
        {"id": "s1.att:1:1", "title": "✅ Hadir"},
        {"id": "s2.att:1:0", "title": "Tidak hadir"},
        {"id": "s3.r", "title": "Ingatkan saya lagi…"},
    ]


def test_buttons_without_text_get_a_prompt() -> None:
    [msg] = _messages(render(Reply(buttons=[[Button("Menu", "m")]])))
    assert msg["interactive"]["body"]["text"] == CHOOSE_PROMPT


def test_more_than_three_buttons_become_a_list() -> None:
    labels = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat — ASN Sehat dan Bugar bersama BPSDM"]
    buttons = [[Button(label, f"d:{i}")] for i, label in enumerate(labels)]
    reply = Reply("Pilih hari:", buttons=buttons)
    [msg] = _messages(render(reply))
    interactive = msg["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == LIST_BUTTON
    [section] = interactive["action"]["sections"]
    assert [r["id"] for r in section["rows"]] == [f"d:{i}" for i in range(5)]
    assert section["rows"][0] == {"id": "d:0", "title": "Senin"}
    last = section["rows"][4]
    assert last["title"] == "Jumat — ASN Sehat dan…"
    # The cut title keeps its full wording in the description.
    assert last["description"] == labels[4]


def test_more_than_ten_choices_are_paginated() -> None:
    buttons = [[Button(f"Sesi {i}", f"s:{i}")] for i in range(23)]
    parts = _messages(render(Reply("Pilih sesi:", buttons=buttons)))
    assert len(parts) == 3
    rows = [
        [r["id"] for r in p["interactive"]["action"]["sections"][0]["rows"]] for p in parts
    ]
    assert [len(r) for r in rows] == [10, 10, 3]
    assert [i for page in rows for i in page] == [f"s:{i}" for i in range(23)]
    assert [_body(p) for p in parts] == [
        "Pilih sesi:", "Pilihan lainnya (2/3):", "Pilihan lainnya (3/3):"
    ]


def test_url_buttons_become_links_in_the_text() -> None:
    reply = Reply(
        "ASN Belajar hari ini.",
        buttons=[[Button("Buka Zoom", url="https://zoom.us/j/123")],
                 [Button("YouTube BPSDM", url="https://youtube.com/@bpsdmjatim")],
                 [Button("Hadir", "att:1")]],
    )
    [msg] = _messages(render(reply))
    assert _body(msg) == (
        "ASN Belajar hari ini.\n\n"
        "Buka Zoom: https://zoom.us/j/123\n"
        "YouTube BPSDM: https://youtube.com/@bpsdmjatim"
    )
    assert [b["reply"]["id"] for b in msg["interactive"]["action"]["buttons"]] == ["att:1"]


def test_only_url_buttons_give_a_plain_text_with_preview() -> None:
    reply = Reply("Tautan:", buttons=[[Button("Zoom", url="https://zoom.us/j/1")]])
    [msg] = _messages(render(reply))
    assert msg["text"] == {"body": "Tautan:\n\nZoom: https://zoom.us/j/1", "preview_url": True}


def test_long_text_is_split_on_paragraphs() -> None:
    paragraphs = [f"Paragraf {i}. " + "kata " * 150 for i in range(12)]  # ~770 chars each
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = _messages(render(Reply(text)))
    assert len(parts) > 1
    bodies = [_body(p) for p in parts]
    assert all(len(b) <= m.BODY_LIMIT for b in bodies)
    assert all(b.startswith("Paragraf") for b in bodies)
    assert "\n\n".join(bodies) == text


def test_long_text_with_buttons_puts_the_end_in_the_interactive_body() -> None:
    text = "\n\n".join(f"Bagian {i}: " + "isi " * 100 for i in range(6)) + "\n\nHadir?"
    parts = _messages(render(Reply(text, buttons=[[Button("Hadir", "att:1")]])))
    *texts, last = parts
    assert texts and all(t["type"] == "text" for t in texts)
    assert last["type"] == "interactive"
    assert len(_body(last)) <= m.INTERACTIVE_BODY_LIMIT
    assert _body(last).endswith("Hadir?")
    assert "\n\n".join(_body(p) for p in parts).replace(" \n", "\n") == text.replace(" \n", "\n")


def test_document_with_short_text_gets_a_caption() -> None:
    doc = Attachment("rekap.xlsx", content=b"x")
    [part] = render(Reply("<b>Rekap</b> JP 2025", document=doc))
    assert part == MediaPart("document", doc, caption="*Rekap* JP 2025")


def test_document_with_buttons_is_sent_before_the_buttons() -> None:
    doc = Attachment("rekap.xlsx", content=b"x")
    media, buttons = render(Reply("Rekap", document=doc, buttons=[[Button("Unduh lagi", "r")]]))
    assert media == MediaPart("document", doc)
    assert isinstance(buttons, MessagePart) and buttons.message["type"] == "interactive"


def test_photo_and_document_together() -> None:
    photo, doc = Attachment("p.png", file_id="1"), Attachment("d.pdf", file_id="2")
    parts = render(Reply("Materi", photo=photo, document=doc))
    assert parts[:2] == [MediaPart("image", photo), MediaPart("document", doc)]
    assert isinstance(parts[2], MessagePart) and _body(parts[2].message) == "Materi"


def test_notice_alone_is_sent_as_text_and_keyboard_is_dropped() -> None:
    [msg] = _messages(render(Reply(notice="Tercatat ✓", edit=True)))
    assert _body(msg) == "Tercatat ✓"
    [only] = _messages(render(Reply("Menu utama", keyboard=Keyboard((("Jadwal", "Rekap"),)))))
    assert _body(only) == "Menu utama"
    assert render(Reply()) == []


def test_duplicate_titles_after_cutting_are_made_unique() -> None:
    buttons = [[Button("Konfirmasi kehadiran sesi pagi", "a")],
               [Button("Konfirmasi kehadiran sesi sore", "b")]]
    [msg] = _messages(render(Reply("Pilih", buttons=buttons)))
    titles = [b["reply"]["title"] for b in msg["interactive"]["action"]["buttons"]]
    assert len(set(titles)) == 2
    assert all(len(t) <= m.BUTTON_TITLE_LIMIT for t in titles)


def test_duplicate_button_data_is_sent_once() -> None:
    buttons = [[Button("Hadir", "att:1"), Button("Ya, hadir", "att:1")]]
    [msg] = _messages(render(Reply("Hadir?", buttons=buttons)))
    assert len(msg["interactive"]["action"]["buttons"]) == 1

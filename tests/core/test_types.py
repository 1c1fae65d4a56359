"""The neutral message types: what the outbox stored in earlier releases still reads."""

from __future__ import annotations

from core.types import Attachment, Button, Keyboard, Reply, TemplateRef


def test_a_reply_survives_the_round_trip() -> None:
    reply = Reply(
        "Halo <b>Bapak/Ibu</b>", buttons=((Button("Hadir", "sig.att:7"), Button("Z", url="https://z")),),
        keyboard=Keyboard((("Menu",),)), document=Attachment("a.pdf", "application/pdf"),
        notice="Tercatat", notice_only=True, alert=True, edit_message_id="500",
        template=TemplateRef("attendance", ("ASN Belajar: T",), ("att:7",)),
        force_template=True, sign_buttons=True, plan="menu:2026-11-23:WIB", preview=False,
    )
    assert Reply.from_dict(reply.to_dict()) == reply


def test_unset_fields_are_not_stored() -> None:
    assert set(Reply("x").to_dict()) == {"text", "buttons", "keyboard", "document", "photo"}


def test_payloads_of_the_first_releases_still_read() -> None:
    # As written by release 0.1 (issue 3's outbox): typed fields inside "meta", the template
    # kind spelled "name_setting", link previews as "preview_url".
    old = {
        "text": "Menu", "buttons": [[{"label": "Hadir", "data": "att:7", "url": None}]],
        "keyboard": None, "document": None, "photo": None,
        "meta": {"template": {"name_setting": "menu", "params": ["Senin", 2]},
                 "plan": "menu:2026-11-23:WIB", "sign_buttons": True,
                 "edit_message_id": 500, "force_template": True, "preview_url": False},
    }
    reply = Reply.from_dict(old)
    assert reply.template == TemplateRef("menu", ("Senin", "2"))
    assert (reply.plan, reply.sign_buttons, reply.edit_message_id, reply.force_template,
            reply.preview) == ("menu:2026-11-23:WIB", True, "500", True, False)
    assert reply.buttons == ((Button("Hadir", "att:7"),),)
    # And the kinds written by "kind" (attendance prompts, announcements, answers).
    answer = Reply.from_dict({"text": "x", "meta": {"template": {
        "kind": "answer", "params": ["q", "a"], "quick_replies": ["sig.qra:1"]}}})
    assert answer.template == TemplateRef("answer", ("q", "a"), ("sig.qra:1",))

"""What the bot does when a person writes: one router per feature, composed here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router

__all__ = ["default_routers"]


def default_routers() -> list[Router]:
    """Every feature router, in the order they get a message (the help fallback last)."""
    from handlers import (
        admin,
        announcement_audience,
        announcement_list,
        announcements,
        attendance,
        attendance_admin,
        calendar_admin,
        certificates,
        certificates_admin,
        evaluation,
        faq,
        faq_admin,
        faq_prune,
        help,
        intents,
        konsol,
        linking,
        menu,
        privacy,
        profile,
        questions,
        quiz,
        registration,
        reminders,
        small_talk,
    )

    return [
        registration.router,
        menu.router,
        attendance.router,
        evaluation.router,
        quiz.router,
        certificates.router,
        profile.router,
        reminders.router,
        privacy.router,
        linking.router,
        admin.router,
        konsol.router,
        questions.router,
        # An admin's reply to a question notification must be taken before the FAQ sees it.
        questions.admin_router,
        # Before the FAQ and calendar files: a file sent while composing is the
        # announcement's, not a file to import.
        announcements.router,
        announcement_audience.router,
        announcement_list.router,
        # Before the calendar: a YAML file may be an FAQ; the FAQ handler leaves others alone.
        faq_admin.router,
        faq_prune.router,
        calendar_admin.router,
        # Free text: small talk is answered in kind; questions about sessions and the
        # person are answered from data, then the FAQ, before help's "not understood".
        small_talk.router,
        intents.router,
        faq.router,
        attendance_admin.router,
        certificates_admin.router,
        help.router,
    ]

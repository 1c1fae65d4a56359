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
        help,
        linking,
        menu,
        privacy,
        profile,
        questions,
        quiz,
        registration,
        reminders,
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
        calendar_admin.router,
        faq.router,  # free text: the FAQ answers before help's "not understood"
        attendance_admin.router,
        certificates_admin.router,
        help.router,
    ]

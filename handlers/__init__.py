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
        calendar_admin,
        help,
        menu,
        privacy,
        profile,
        registration,
    )

    return [
        registration.router,
        menu.router,
        profile.router,
        privacy.router,
        admin.router,
        # Before calendar-admin: a file sent while composing is the announcement's, not
        # a calendar to import.
        announcements.router,
        announcement_audience.router,
        announcement_list.router,
        calendar_admin.router,
        help.router,
    ]

"""Every model, imported so that `Base.metadata` knows all tables."""

from __future__ import annotations

from db.models.announcements import Announcement
from db.models.calendar import Holiday, LearningSession, Programme
from db.models.outbox import NudgePlan, OutboxMessage, OutboxPayload
from db.models.people import Admin, Identity, Person
from db.models.state import AppMeta, ConversationState

__all__ = [
    "Admin",
    "Announcement",
    "AppMeta",
    "ConversationState",
    "Holiday",
    "Identity",
    "LearningSession",
    "NudgePlan",
    "OutboxMessage",
    "OutboxPayload",
    "Person",
    "Programme",
]

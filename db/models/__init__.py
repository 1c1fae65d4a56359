"""Every model, imported so that `Base.metadata` knows all tables."""

from __future__ import annotations

from db.models.announcements import Announcement
from db.models.attendance import Attendance, AuditEntry, CodeFailure
from db.models.calendar import Holiday, LearningSession, Programme
from db.models.certificates import Certificate, CertificateCheck, CertificateCounter
from db.models.faq import FaqEntryRow, FaqLookup, Question, QuestionAsker, QuestionNotice
from db.models.konsol import KonsolLink, KonsolSession
from db.models.learning import Evaluation, QuizAnswer, QuizQuestion, QuizReview
from db.models.operations import Erasure
from db.models.outbox import NudgePlan, OutboxMessage, OutboxPayload
from db.models.people import Admin, Identity, Person
from db.models.processes import ChannelFlow, ProcessHeartbeat
from db.models.state import AppMeta, ConversationState
from db.models.telegram import TelegramUpdate
from db.models.whatsapp import InboxMessage, LinkAttempt, LinkCode

__all__ = [
    "Admin",
    "Announcement",
    "AppMeta",
    "Attendance",
    "AuditEntry",
    "Certificate",
    "CertificateCheck",
    "CertificateCounter",
    "ChannelFlow",
    "CodeFailure",
    "ConversationState",
    "Erasure",
    "Evaluation",
    "FaqEntryRow",
    "FaqLookup",
    "Holiday",
    "Identity",
    "InboxMessage",
    "KonsolLink",
    "KonsolSession",
    "LearningSession",
    "LinkAttempt",
    "LinkCode",
    "NudgePlan",
    "OutboxMessage",
    "OutboxPayload",
    "Person",
    "ProcessHeartbeat",
    "Programme",
    "Question",
    "QuestionAsker",
    "QuestionNotice",
    "QuizAnswer",
    "QuizQuestion",
    "QuizReview",
    "TelegramUpdate",
]

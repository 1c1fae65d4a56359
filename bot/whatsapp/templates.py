"""The 24-hour window: which approved template carries a message when free-form is not allowed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from bot.settings import Settings
from bot.whatsapp.client import mask_number
from bot.whatsapp.sender import TemplateMessage, WhatsAppSender
from core.clock import Clock
from core.types import Reply, TemplateRef
from db.engine import Sessions
from db.people import last_inbound

__all__ = ["KINDS", "WINDOW", "Templates", "WindowedSender", "template_spec"]

log = logging.getLogger(__name__)

KINDS = ("menu", "reminder", "attendance", "announcement", "answer", "certificate")
WINDOW = timedelta(hours=24)
# A message leaves some time after the check (queue, pacing): stop trusting the window
# a little before it closes rather than collect 131047s.
MARGIN = timedelta(minutes=10)


def template_spec(
    kind: str, params: list[str], quick_replies: list[str] | None = None
) -> TemplateRef:
    """A checked `Reply.template` (the kind must be one a template is configured for)."""
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}; one of {', '.join(KINDS)}")
    return TemplateRef(kind, tuple(str(p) for p in params), tuple(quick_replies or ()))


class Templates:
    """Template names from the settings (WHATSAPP_TEMPLATE_*), chosen by a message's kind."""

    def __init__(self, names: Mapping[str, str], language: str) -> None:
        self.names = dict(names)
        self.language = language

    @classmethod
    def from_settings(cls, settings: Settings) -> Templates:
        """The names configured for each kind."""
        return cls(
            {
                "menu": settings.whatsapp_template_menu,
                "reminder": settings.whatsapp_template_reminder,
                "attendance": settings.whatsapp_template_attendance,
                "announcement": settings.whatsapp_template_announcement,
                "answer": settings.whatsapp_template_answer,
                "certificate": settings.whatsapp_template_certificate,
            },
            settings.whatsapp_template_language,
        )

    def for_reply(self, chat_id: str, reply: Reply) -> TemplateMessage | None:
        """The template that carries `reply` outside the window (None: it has none)."""
        spec = reply.template
        if spec is None:
            return None
        name = self.names.get(spec.kind)
        if name is None:
            log.warning("no WhatsApp template configured for kind %r", spec.kind)
            return None
        return TemplateMessage(name, list(spec.params), list(spec.quick_replies), self.language,
                               document_header=spec.header == "document")


class WindowedSender:
    """The WhatsApp `Sender` for the outbox: free-form inside the 24-hour window,
    the message's template outside it (and once more if Meta says 131047 anyway)."""

    channel = "whatsapp"

    def __init__(
        self, sender: WhatsAppSender, templates: Templates, sessions: Sessions, clock: Clock
    ) -> None:
        self.sender = sender
        self.templates = templates
        self._sessions = sessions
        self._clock = clock

    async def in_window(self, chat_id: str) -> bool:
        """Whether the person wrote to us recently enough for a free-form message."""
        async with self._sessions() as s:
            last = await last_inbound(s, "whatsapp", chat_id)
        return last is not None and self._clock.now() - last < WINDOW - MARGIN

    async def deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Send `reply`, or its template when the window is closed."""
        template = self.templates.for_reply(chat_id, reply)
        if template is not None and (
            reply.force_template or not await self.in_window(chat_id)
        ):
            log.debug("outside the 24-hour window for %s: template %s",
                      mask_number(chat_id), template.name)
            return await self.sender.send_template_for(chat_id, template, reply)
        return await self.sender.deliver(chat_id, reply)

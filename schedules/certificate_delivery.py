"""Make the file an outbox row names, when it is sent: a certificate or a transcript PDF.

The outbox stores no bytes and certificates are never stored as files: a payload's
attachment carries `source` ("certificate:ID", "transcript:YEAR") and the outbox worker
calls `DocumentMaker` just before a sender gets the reply, which then carries the bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from core.clock import Clock
from core.config import CoreConfig
from core.types import Attachment, Reply
from db.engine import Sessions
from db.models import Certificate, Person
from schedules.certificate_documents import certificate_text, design_of, transcript_text
from schedules.certificate_pdf import certificate_filename, render_certificate, render_transcript

__all__ = ["DocumentGone", "DocumentMaker"]


class DocumentGone(Exception):
    """The file a message names can no longer be made (revoked, erased, unknown)."""


class DocumentMaker:
    """Render the document of a reply for its recipient (`OutboxWorker(prepare=...)`)."""

    def __init__(self, sessions: Sessions, config: CoreConfig, clock: Clock) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock

    async def __call__(self, reply: Reply, person_id: int | None) -> Reply:
        """The reply with its document's bytes (unchanged if it names no source)."""
        att = reply.document
        if att is None or not att.source:
            return reply
        kind, _, ref = att.source.partition(":")
        if kind == "certificate" and ref.isdigit():
            made = await self._certificate(int(ref))
        elif kind == "transcript" and ref.isdigit() and person_id is not None:
            made = await self._transcript(person_id, int(ref))
        else:
            raise DocumentGone(f"unknown document {att.source!r}")
        return replace(reply, document=made)

    async def _certificate(self, cert_id: int) -> Attachment:
        async with self._sessions() as db:
            cert = await db.get(Certificate, cert_id)
        if cert is None or cert.revoked_at is not None:
            raise DocumentGone("certificate revoked")
        if cert.holder_erased_at is not None:
            raise DocumentGone("holder erased their data")
        text = certificate_text(cert, self._config.certificates, self._config.tz)
        pdf = await asyncio.to_thread(render_certificate, text,
                                      design_of(self._config.certificates))
        return Attachment(certificate_filename(cert.number, cert.title), "application/pdf",
                          len(pdf), content=pdf)

    async def _transcript(self, person_id: int, year: int) -> Attachment:
        today = self._clock.now().astimezone(self._config.tz).date()
        async with self._sessions() as db:
            person = await db.get(Person, person_id)
            if person is None or person.erased_at is not None:
                raise DocumentGone("person erased their data")
            text, name = await transcript_text(db, person, year, self._config.certificates,
                                               today)
        pdf = await asyncio.to_thread(render_transcript, text)
        return Attachment(name, "application/pdf", len(pdf), content=pdf)

"""Issue e-certificates after sessions with JP, put them in the outbox, and keep them true.

The scheduler's tick runs `CertificateSweep.run`: CERT_DELAY after a session with JP ends,
every attendee with a NIP (who completed the evaluation, when the session requires it) gets a
certificate; the sweep repeats each minute while attendance can still come in, so later
attendance is covered too. What changes a certificate later (a NIP added, a name changed, an
evaluation completed, an attendance corrected, a session's title, date or JP changed) asks
for a check (`db.certificates.request_check`), which the next sweep works through: stale
certificates are revoked, replacements issued with new numbers. Issuing takes the year's
counter lock, so two processes (`run` and `worker`) never issue twice or leave a gap.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.config import CertificateConfig, CoreConfig
from core.outbox import Ref, enqueue, enqueue_audience, payload_body, store_payload
from core.text import esc, jp_text
from core.timezones import format_date
from core.types import Reply
from db.attendance import attendance_window
from db.certificates import (
    Candidate,
    Issuer,
    candidates,
    issue,
    request_check,
    revoke,
    stale_certificates,
    take_checks,
)
from db.engine import Sessions
from db.models import Attendance, Certificate, Evaluation, LearningSession, NudgePlan, Person
from schedules.audience import recipients
from schedules.calendar_report import SessionChange
from schedules.certificate_documents import certificate_reply
from schedules.evaluation_prompts import evaluation_question, unsigned
from schedules.nudges import insert_plan
from schedules.session_rules import evaluation_mode

__all__ = [
    "CertificateSweep",
    "SweepReport",
    "check_changed_sessions",
    "deliver_certificates",
    "issuer_of",
    "revoke_and_tell",
]

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=30)  # a session older than this is swept only through checks
BATCH = 500  # certificates issued (and queued) per transaction


@dataclass
class SweepReport:
    """What one sweep did."""

    issued: int = 0
    revoked: int = 0
    notices: int = 0
    checks: int = 0


def issuer_of(config: CertificateConfig) -> Issuer:
    """Who issues, from the settings."""
    return Issuer(config.organiser, config.signer_name, config.signer_position, config.prefix)


async def _chats(
    db: AsyncSession, channels: Collection[str], person_ids: Iterable[int]
) -> dict[int, tuple[str, str]]:
    """Where each person is reached (their preferred channel), even if they stopped nudges."""
    ids = sorted(set(person_ids))
    if not ids or not channels:
        return {}
    query = recipients(channels, subscribed_only=False, extra=[Person.id.in_(ids)])
    return {pid: (ch, chat) for pid, ch, chat in (await db.execute(query)).all()}


async def deliver_certificates(
    db: AsyncSession, certs: Sequence[Certificate], *, config: CertificateConfig,
    channels: Collection[str], now: datetime, replaces: dict[tuple[int, int], str] | None = None,
) -> int:
    """One outbox row per certificate (key certificate:ID: once, whatever retries)."""
    chats = await _chats(db, channels, [c.person_id for c in certs])
    queued = 0
    for cert in certs:
        chat = chats.get(cert.person_id)
        if chat is None:
            continue  # no channel to reach them on: /sertifikat sends it when they write
        old = (replaces or {}).get((cert.person_id, cert.session_id))
        added = await enqueue(
            db, key=f"certificate:{cert.id}", person_id=cert.person_id, channel=chat[0],
            chat_id=chat[1], kind="certificate", reply=certificate_reply(cert, config,
                                                                          replaces=old),
            now=now, ref=Ref("certificate", cert.id),
        )
        queued += added is not None
    return queued


async def revoke_and_tell(
    db: AsyncSession, cert: Certificate, *, reason: str, channels: Collection[str],
    now: datetime,
) -> None:
    """Revoke a certificate and tell its holder (an attendance corrected away)."""
    await revoke(db, cert, reason=reason, now=now)
    chat = (await _chats(db, channels, [cert.person_id])).get(cert.person_id)
    if chat is None:
        return
    text = (f"⚠️ Sertifikat nomor <b>{esc(cert.number)}</b> untuk <b>{esc(cert.title)}</b> "
            f"({format_date(cert.day)}) <b>dicabut</b>: {esc(reason)}. Pertanyaan tentang hal "
            "ini dapat disampaikan lewat /tanya.")
    await enqueue(db, key=f"certificate-revoked:{cert.id}", person_id=cert.person_id,
                  channel=chat[0], chat_id=chat[1], kind="notice", reply=Reply(text), now=now,
                  ref=Ref("certificate", cert.id))


async def check_changed_sessions(
    sessions: Sessions, changes: Sequence[SessionChange], now: datetime
) -> int:
    """After a calendar import: look again at certificates of sessions whose title, date or
    JP changed. Returns the checks asked for."""
    wanted = [c.session_id for c in changes if c.session_id is not None and c.kind != "added"
              and {"title", "day", "jp"} & set(c.fields)]
    if wanted:
        async with sessions() as db, db.begin():
            for sid in wanted:
                await request_check(db, "session", sid, now)
    return len(wanted)


class CertificateSweep:
    """Issue what is due, work through the checks; run by the scheduler's tick."""

    def __init__(self, sessions: Sessions, config: CoreConfig, channels: Sequence[str],
                 *, batch: int = BATCH) -> None:
        self._sessions = sessions
        self._core = config
        self.config = config.certificates
        self._channels = tuple(channels)
        self._issuer = issuer_of(config.certificates)
        self._batch = batch

    async def run(self, now: datetime) -> SweepReport:
        """One sweep at `now`."""
        report = SweepReport()
        if not self.config.enabled:
            return report
        for s in await self._due_sessions(now):
            await self._sweep_session(s, now, report)
        await self._run_checks(now, report)
        if report.issued or report.revoked:
            log.info("certificates: %d issued, %d revoked, %d checks", report.issued,
                     report.revoked, report.checks)
        return report

    async def _due_sessions(self, now: datetime) -> list[LearningSession]:
        swept = exists(select(NudgePlan.id).where(
            NudgePlan.kind == "certificates", NudgePlan.ref_id == LearningSession.id))
        async with self._sessions() as db:
            return list(await db.scalars(
                select(LearningSession).where(
                    LearningSession.status == "aktif", LearningSession.jp > 0,
                    LearningSession.ends_at <= now - self.config.delay,
                    LearningSession.ends_at > now - LOOKBACK, ~swept,
                ).order_by(LearningSession.ends_at, LearningSession.id)
            ))

    async def _sweep_session(self, s: LearningSession, now: datetime,
                             report: SweepReport) -> None:
        """Issue the session's due certificates, page by page; once attendance has closed
        (plus the delay), note it as swept: later changes come as checks."""
        required = evaluation_mode(s) == "wajib"
        after = 0
        while True:
            async with self._sessions() as db, db.begin():
                found = await candidates(db, session_id=s.id, ended_before=now - self.config.delay,
                                         after_person=after, limit=self._batch)
                certs = await self._issue(db, found, {s.id: required}, now)
            report.issued += len(certs)
            if len(found) < self._batch:
                break
            after = found[-1].person_id
        report.notices += await self._notices_once(s, now, required)
        window = attendance_window(s, self._core.tz, self._core.attendance_close)
        if now >= window.closes + self.config.delay:
            await insert_plan(self._sessions, key=f"certificates:{s.id}", kind="certificates",
                              day=s.day, zone="-", ref_id=s.id, due=now, status="planned",
                              now=now)

    async def _issue(
        self, db: AsyncSession, found: Sequence[Candidate], required: dict[int, bool],
        now: datetime, replaces: dict[tuple[int, int], str] | None = None,
    ) -> list[Certificate]:
        ready = [(c.person_id, c.session_id) for c in found
                 if c.name and (c.evaluated or not required.get(c.session_id, False))]
        certs = await issue(db, ready, issuer=self._issuer, now=now)
        await deliver_certificates(db, certs, config=self.config, channels=self._channels,
                                   now=now, replaces=replaces)
        return certs

    async def _notices_once(self, s: LearningSession, now: datetime, required: bool) -> int:
        """At the first sweep of a session: tell attendees without a NIP how to get their
        certificate, and (evaluation required) those who still owe the evaluation."""
        _plan, mine = await insert_plan(
            self._sessions, key=f"certificate-notices:{s.id}", kind="cert-notice", day=s.day,
            zone="-", ref_id=s.id, due=now, status="planned", now=now)
        if not mine or s.ends_at < now - timedelta(days=1):
            return 0  # done before, or too long ago to be worth a message
        attended = exists(select(Attendance.id).where(
            Attendance.person_id == Person.id, Attendance.session_id == s.id))
        sent = await self._notice(
            s, now, "certificate-nip", _nip_notice(s),
            [attended, Person.nip.is_(None)])
        if required:
            evaluated = exists(select(Evaluation.id).where(
                Evaluation.person_id == Person.id, Evaluation.session_id == s.id,
                Evaluation.completed_at.is_not(None)))
            sent += await self._notice(
                s, now, "certificate-evaluation", _evaluation_notice(s),
                [attended, Person.nip.is_not(None), ~evaluated])
        return sent

    async def _notice(self, s: LearningSession, now: datetime, name: str, reply: Reply,
                      extra: list[ColumnElement[bool]]) -> int:
        async with self._sessions() as db, db.begin():
            payload = await store_payload(db, payload_body(reply), now=now)
        return await enqueue_audience(
            self._sessions, audience=recipients(self._channels, subscribed_only=False,
                                                extra=extra),
            key_prefix=f"{name}:{s.id}:", kind="notice", payload_id=payload, now=now,
            ref=Ref("session", s.id),
        )

    async def _run_checks(self, now: datetime, report: SweepReport) -> None:
        """Work through the checks asked for, each in its own transaction."""
        while True:
            async with self._sessions() as db, db.begin():
                taken = await take_checks(db, limit=1)
                for scope, ref_id in taken:
                    await self._check(db, scope, ref_id, now, report)
            if not taken:
                return
            report.checks += len(taken)

    async def _check(self, db: AsyncSession, scope: str, ref_id: int, now: datetime,
                     report: SweepReport) -> None:
        person_id = ref_id if scope == "person" else None
        session_id = ref_id if scope == "session" else None
        replaces: dict[tuple[int, int], str] = {}
        for cert, reason in await stale_certificates(db, person_id=person_id,
                                                     session_id=session_id):
            report.revoked += 1
            if reason == "kehadiran dihapus":
                await revoke_and_tell(db, cert, reason=reason, channels=self._channels, now=now)
            else:
                await revoke(db, cert, reason=reason, now=now)
                replaces[(cert.person_id, cert.session_id)] = cert.number
        found = await candidates(db, person_id=person_id, session_id=session_id,
                                 ended_before=now - self.config.delay, limit=100_000)
        modes = {s.id: evaluation_mode(s) == "wajib" for s in await db.scalars(
            select(LearningSession).where(LearningSession.id.in_({c.session_id for c in found})))}
        certs = await self._issue(db, found, modes, now, replaces)
        report.issued += len(certs)
        report.notices += await self._ask_evaluation(
            db, [c for c in found if modes.get(c.session_id) and not c.evaluated], now)
        renewed = {(c.person_id, c.session_id) for c in certs}
        for pair, number in replaces.items():
            if pair not in renewed:  # no longer due one (JP now 0, NIP removed): say so
                old = await db.scalar(select(Certificate).where(Certificate.number == number))
                if old is not None:
                    await revoke_and_tell(db, old, reason=old.revoke_reason or "data diubah",
                                          channels=self._channels, now=now)


    async def _ask_evaluation(self, db: AsyncSession, owing: Sequence[Candidate],
                              now: datetime) -> int:
        """Ask for the required evaluation (once per person and session): for attendance
        added later (a correction), whose confirmation never offered it."""
        chats = await _chats(db, self._channels, [c.person_id for c in owing])
        asked = 0
        for c in owing:
            s = await db.get(LearningSession, c.session_id)
            chat = chats.get(c.person_id)
            if s is None or chat is None:
                continue
            added = await enqueue(db, key=f"certificate-evaluation:{s.id}:{c.person_id}",
                                  person_id=c.person_id, channel=chat[0], chat_id=chat[1],
                                  kind="notice", reply=_evaluation_notice(s), now=now,
                                  ref=Ref("session", s.id))
            asked += added is not None
        return asked


def _nip_notice(s: LearningSession) -> Reply:
    return Reply(
        f"📜 Sesi <b>{esc(s.title)}</b> ({format_date(s.day)}, {jp_text(float(s.jp))} JP) "
        "memberi <b>sertifikat elektronik</b>, tetapi <b>NIP Bapak/Ibu belum diisi</b>, "
        "sehingga sertifikat belum dapat diterbitkan.\n\nIsi NIP lewat /profil; sertifikat "
        "dikirim otomatis dalam beberapa menit setelahnya."
    )


def _evaluation_notice(s: LearningSession) -> Reply:
    question, buttons = evaluation_question(s.id, 0, unsigned, required=True)
    return Reply(
        f"📜 Sertifikat <b>{esc(s.title)}</b> ({format_date(s.day)}) terbit setelah "
        f"Bapak/Ibu mengisi evaluasi singkat (3 pertanyaan, cukup menekan tombol).\n\n{question}",
        buttons=buttons, sign_buttons=True,
    )

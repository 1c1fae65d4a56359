"""A session's evaluations in the konsol: the summary beside its attendance, and the file of
every (anonymous) evaluation, audited as the chat's /evaluasi is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.exports import export_file, format_of
from bot.web.konsol import Konsol, Who
from db.learning import EvaluationSummary, evaluation_summary
from db.models import LearningSession
from handlers.evaluation import summary_lines
from handlers.export_files import export_evaluations
from schedules.session_rules import EvaluationMode, evaluation_mode

__all__ = ["EvaluationCard", "evaluation_card", "routes"]

MODES: dict[EvaluationMode, str] = {
    "ya": "ditawarkan setelah presensi",
    "wajib": "wajib sebelum sertifikat terbit",
    "tidak": "tidak ditawarkan",
}


@dataclass(frozen=True)
class EvaluationCard:
    """What the Kehadiran page of a session shows of its evaluations."""

    mode: str  # how the session asks for it, in Indonesian
    summary: EvaluationSummary
    lines: list[str]  # summary_lines: HTML with people's comments already escaped


async def evaluation_card(db: AsyncSession, s: LearningSession) -> EvaluationCard:
    """A session's evaluation summary (averages and the latest comments)."""
    summary = await evaluation_summary(db, s.id)
    return EvaluationCard(MODES[evaluation_mode(s)], summary, summary_lines(summary))


async def export(k: Konsol, request: Request, who: Who) -> Response:
    """Every evaluation of a session (ratings, comment, time; no one's identity) with a
    summary sheet of the averages: the file /evaluasi sends in the chat."""
    sid = int(request.path_params["sid"])
    async with k.sessions() as db:
        s = await db.get(LearningSession, sid)
    if s is None:
        return k.problem(request, who, 404, "Sesi tidak ditemukan", "Sesi ini tidak ada.")
    fmt, sep = format_of(request, default="xlsx")
    title, tz = s.title, k.deps.config.tz

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_evaluations(db, stream, session_id=sid, title=title, fmt=fmt,
                                        tz=tz, sep=sep)

    return await export_file(k, who, stem=f"evaluasi_sesi_{sid}", fmt=fmt, write=write,
                             action="evaluation_export", detail=f"evaluasi sesi {sid}")


def routes(k: Konsol) -> list[Route]:
    """The evaluations file."""
    return [k.route("/kehadiran/sesi/{sid:int}/evaluasi/ekspor", export)]

"""The SIASN export in the konsol: a year's course records, the file `dahar-ngopi absensi
siasn` writes (XLSX, or plain CSV for programs), audited as `siasn_export`."""

from __future__ import annotations

from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.exports import export_file
from bot.web.konsol import Konsol, Who, int_arg
from db.directory import first_session_year
from handlers.export_files import Format, export_siasn

__all__ = ["routes", "siasn_years"]

FIRST_YEAR = 2000  # as /siasn in the chat


async def siasn_years(db: AsyncSession, this_year: int) -> list[int]:
    """The years the picker offers, newest first: from the calendar's first to this one."""
    first = await first_session_year(db)
    first = max(FIRST_YEAR, min(first or this_year, this_year))
    return list(range(this_year, first - 1, -1))


async def export(k: Konsol, request: Request, who: Who) -> Response:
    """One SIASN course record per person with a NIP and attended session with JP in the
    year; the ids SIASN assigns are left for the BKD operator."""
    this_year = k.today().year
    year = int_arg(request, "tahun", this_year)
    if not FIRST_YEAR <= year <= this_year:
        return k.problem(request, who, 422, "Tahun belum benar",
                         f"Pilih tahun antara {FIRST_YEAR} dan {this_year}.")
    fmt: Format = "csv" if request.query_params.get("format") == "csv" else "xlsx"
    organiser = k.deps.config.certificates.organiser

    async def write(db: AsyncSession, stream: IO[bytes]) -> int:
        return await export_siasn(db, stream, year=year, fmt=fmt, organiser=organiser)

    return await export_file(k, who, stem=f"siasn_kursus_{year}", fmt=fmt, write=write,
                             action="siasn_export", detail=f"SIASN {year}")


def routes(k: Konsol) -> list[Route]:
    """The SIASN file."""
    return [k.route("/kehadiran/siasn", export)]

"""The konsol's file downloads: an export streamed into a temporary file, audited, then sent."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from bot.web.konsol import Konsol, Who
from handlers.export_files import Format

__all__ = ["MIME", "Writer", "export_file", "format_of"]

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
Writer = Callable[[AsyncSession, IO[bytes]], Awaitable[int]]


async def export_file(k: Konsol, who: Who, *, stem: str, fmt: Format, write: Writer,
                      action: str, detail: str) -> Response:
    """Stream the export into a temporary file (never all in memory), audit it, send it."""
    folder = await asyncio.to_thread(tempfile.mkdtemp, prefix="konsol-ekspor-")
    path = Path(folder) / f"{stem}.{fmt}"
    stream = await asyncio.to_thread(path.open, "wb")
    try:
        async with k.sessions() as db:
            rows = await write(db, stream)
    finally:
        await asyncio.to_thread(stream.close)
    size = (await asyncio.to_thread(path.stat)).st_size
    await k.audit(who, action, f"konsol: {detail}, {fmt} {size} B", rows)

    def clean() -> None:
        path.unlink(missing_ok=True)
        Path(folder).rmdir()

    return FileResponse(path, media_type=MIME[fmt], filename=path.name,
                        background=BackgroundTask(clean))


def format_of(request: Request, *, default: Format = "csv",
              default_sep: str = ";") -> tuple[Format, str]:
    """The ?format= (csv or xlsx) and ?sep= (';' or ',') of an export link."""
    asked = request.query_params.get("format", default)
    fmt: Format = asked if asked in ("csv", "xlsx") else default  # type: ignore[assignment]
    return fmt, ";" if request.query_params.get("sep", default_sep) == ";" else ","

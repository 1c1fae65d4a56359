"""The public verification page of e-certificates: /verifikasi/{code}, in Indonesian.

It says whether the certificate is valid or revoked, with the holder's name, a masked NIP,
the session, its date and JP; after the holder erased their data, only that it is valid and
that the holder's data was erased. An unknown code is a 404. Served on the public listener
(HTTP_HOST:HTTP_PORT, reached at PUBLIC_URL).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from core.config import CoreConfig
from core.text import jp_text
from core.timezones import format_date
from db.certificates import by_code
from db.engine import Sessions
from db.models import Certificate
from handlers.nip import mask_nip

__all__ = ["VERIFY_PATH", "verification_page", "verification_routes"]

VERIFY_PATH = "/verifikasi/{code}"
_CODE = re.compile(r"[A-Za-z2-7]{16}")
# The page names a person: no caching by proxies, no search engine indexing.
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow",
            "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f4f1ea;color:#222}main{max-width:36rem;margin:0 auto;padding:1.25rem}"
    "h1{font-size:1.2rem;color:#16325c;margin:.2rem 0 1rem}.badge{border-radius:.6rem;"
    "padding:1rem;font-size:1.05rem;margin-bottom:1rem}.ok{background:#e3f4e8;"
    "border:2px solid #2e7d4f}.bad{background:#fbe4e4;border:2px solid #b3261e}"
    "table{border-collapse:collapse;width:100%;background:#fff;border-radius:.6rem}"
    "th,td{text-align:left;padding:.55rem .7rem;border-bottom:1px solid #eee;"
    "vertical-align:top}th{color:#5f6b7a;font-weight:600;width:38%}"
    "footer{color:#5f6b7a;font-size:.85rem;margin-top:1rem}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>Verifikasi Sertifikat · ASN Dahar Ngopi</h1>{body}</main></body></html>"
    )


def _rows(pairs: Sequence[tuple[str, str]]) -> str:
    return "<table>" + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in pairs
    ) + "</table>"


def verification_page(cert: Certificate, config: CoreConfig) -> str:
    """The page of one certificate (valid, revoked, or valid with the holder erased)."""
    tz = config.tz
    if cert.revoked_at is not None:
        badge = (
            '<div class="badge bad">❌ <b>DICABUT</b> — sertifikat ini tidak berlaku lagi sejak '
            f"{html.escape(format_date(cert.revoked_at.astimezone(tz).date()))}"
            + (f" ({html.escape(cert.revoke_reason)})" if cert.revoke_reason else "")
            + ".</div>"
        )
    else:
        badge = ('<div class="badge ok">✅ <b>SAH</b> — sertifikat ini valid dan diterbitkan oleh '
                 f"{html.escape(cert.organiser)}.</div>")
    if cert.holder_erased_at is not None:
        holder = [("Pemegang", "Data pemegang telah dihapus atas permintaannya")]
    else:
        holder = [("Nama", cert.holder_name or "—"), ("NIP", mask_nip(cert.holder_nip))]
    pairs = [
        ("Nomor", cert.number),
        *holder,
        ("Program", cert.programme),
        ("Sesi", cert.title),
        ("Tanggal", format_date(cert.day)),
        ("JP", f"{jp_text(float(cert.jp))} JP"),
        ("Penyelenggara", cert.organiser),
        ("Diterbitkan", format_date(cert.issued_at.astimezone(tz).date())),
    ]
    footer = ("<footer>Halaman ini dibuat dari catatan bot ASN Dahar Ngopi, "
              f"{html.escape(cert.organiser)}. Cocokkan nomor dan data di atas dengan "
              "sertifikat yang ditunjukkan kepada Bapak/Ibu.</footer>")
    return _page(f"Sertifikat {cert.number}", badge + _rows(pairs) + footer)


def _not_found() -> HTMLResponse:
    body = ('<div class="badge bad">Sertifikat <b>tidak ditemukan</b>. Periksa kembali kode '
            "pada sertifikat, atau pindai ulang kode QR-nya.</div>")
    return HTMLResponse(_page("Sertifikat tidak ditemukan", body), status_code=404,
                        headers=_HEADERS)


def verification_routes(sessions: Sessions, config: CoreConfig) -> list[BaseRoute]:
    """The verification page's route, for the public HTTP server."""

    async def verify(request: Request) -> Response:
        code = str(request.path_params.get("code", ""))
        if not _CODE.fullmatch(code):
            return _not_found()
        async with sessions() as db:
            cert = await by_code(db, code)
        if cert is None:
            return _not_found()
        return HTMLResponse(verification_page(cert, config), headers=_HEADERS)

    return [Route(VERIFY_PATH, verify, methods=["GET", "HEAD"])]

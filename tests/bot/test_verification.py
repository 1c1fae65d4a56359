"""The public verification page on a real HTTP server: valid, revoked, the holder's data
erased, unknown codes; nothing cached, nothing indexed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.http_server import HttpServer, build_app
from bot.verification import verification_routes
from core.config import CertificateConfig, CoreConfig
from db.attendance import record_attendance
from db.certificates import forget_holder, revoke
from db.engine import Sessions, create_engine, create_sessions
from db.models import Certificate
from schedules.certificates import CertificateSweep
from tests.handlers.attendance_helpers import MONDAY, add_person, add_session, wib

CONFIG = CoreConfig(certificates=CertificateConfig(public_url="https://dn.example.id"))


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[Sessions]:
    """A migrated database with one issued certificate."""
    engine = create_engine(db_url)
    factory = create_sessions(engine)
    sid = await add_session(factory, code="V1", start=(9, 0), jp=2, title="Etika <Publik>")
    pid = await add_person(factory, "1", nip="198507142010012003", name="Siti Aminah")
    async with factory() as s, s.begin():
        await record_attendance(s, person_id=pid, session_id=sid, now=wib(MONDAY, 10),
                                channel="telegram")
    await CertificateSweep(factory, CONFIG, []).run(wib(MONDAY, 11, 30))
    yield factory
    await engine.dispose()


@pytest.fixture
async def server(sessions: Sessions) -> AsyncIterator[HttpServer]:
    """The public server with /healthz and the verification page, on a free port."""
    http = HttpServer(build_app(verification_routes(sessions, CONFIG)), "127.0.0.1", 0)
    await http.start()
    yield http
    await http.stop()


async def _cert(sessions: Sessions) -> Certificate:
    async with sessions() as s:
        cert = await s.get(Certificate, 1)
    assert cert is not None
    return cert


async def test_valid_then_erased_then_revoked(sessions: Sessions, server: HttpServer) -> None:
    cert = await _cert(sessions)
    url = f"{server.url}/verifikasi/{cert.code}"
    async with httpx.AsyncClient() as http:
        page = await http.get(url)
        assert page.status_code == 200 and "✅ <b>SAH</b>" in page.text
        assert "Siti Aminah" in page.text and "1985**********2003" in page.text
        assert "Etika &lt;Publik&gt;" in page.text and "2 JP" in page.text
        assert "DN/2026/000001" in page.text and "Senin, 23 November 2026" in page.text
        assert page.headers["x-robots-tag"] == "noindex, nofollow"
        assert (await http.get(url.lower())).status_code == 200  # codes read in any case
        assert (await http.head(url)).status_code == 200
        async with sessions() as s, s.begin():
            await forget_holder(s, cert.person_id, wib(MONDAY, 12))
        erased = await http.get(url)
        assert "SAH" in erased.text and "Data pemegang telah dihapus" in erased.text
        assert "Siti" not in erased.text and "1985" not in erased.text
        assert "Etika &lt;Publik&gt;" in erased.text and "2 JP" in erased.text
        async with sessions() as s, s.begin():
            row = await s.get(Certificate, cert.id)
            assert row is not None
            await revoke(s, row, reason="kehadiran dihapus", now=wib(MONDAY, 13))
        revoked = await http.get(url)
        assert "❌ <b>DICABUT</b>" in revoked.text and "kehadiran dihapus" in revoked.text
        for code in ("AAAAAAAAAAAAAAAA", "short", cert.code + "X"):
            missing = await http.get(f"{server.url}/verifikasi/{code}")
            assert missing.status_code == 404 and "tidak ditemukan" in missing.text

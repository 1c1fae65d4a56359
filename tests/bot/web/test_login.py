"""Signing in to the konsol with a one-time link, and every way it is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from core.clock import FixedClock
from db.models import AuditEntry, KonsolSession
from db.people import add_admin, remove_admin
from tests.bot.web.konsol_client import KonsolClient, konsol_client


def test_a_link_signs_in_once_and_the_session_cookie_is_strict(konsol: KonsolClient) -> None:
    path = konsol.link()
    shown = konsol.client.get(path)
    assert shown.status_code == 200 and "Masuk" in shown.text
    # Opening the link (a preview fetcher does) uses nothing: it opens again.
    assert konsol.client.get(path).status_code == 200
    pre = shown.text.split('name="csrf" value="')[1].split('"')[0]
    landed = konsol.client.post(path, data={"csrf": pre}, follow_redirects=False)
    assert landed.status_code == 303 and landed.headers["location"] == "/konsol/"
    cookie = next(c for c in landed.headers.get_list("set-cookie") if "konsol_sesi=" in c)
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/konsol" in lowered
    assert "max-age=28800" in lowered and "secure" not in lowered
    home = konsol.get("/konsol/")
    assert home.status_code == 200 and "Beranda" in home.text
    again = konsol.client.get(path)
    assert again.status_code == 410 and "sudah dipakai" in again.text


def test_no_session_gets_the_way_in(konsol: KonsolClient) -> None:
    page = konsol.client.get("/konsol/")
    assert page.status_code == 401 and "/konsol" in page.text and "Silakan masuk" in page.text


def test_an_expired_or_unknown_link_is_refused(konsol: KonsolClient) -> None:
    path = konsol.link()
    clock = konsol.rt.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=11))
    assert "kedaluwarsa" in konsol.client.get(path).text
    assert konsol.client.get("/konsol/masuk/abc").status_code == 410


def test_a_link_of_someone_not_admin_is_refused(konsol: KonsolClient) -> None:
    page = konsol.client.get(konsol.link("telegram:5001"))
    assert page.status_code == 410 and "bukan admin" in page.text


def test_a_post_without_the_csrf_token_is_refused(konsol: KonsolClient) -> None:
    konsol.login()
    refused = konsol.post("/konsol/keluar", csrf=False)
    assert refused.status_code == 403 and "Formulir tidak berlaku" in refused.text
    wrong = konsol.post("/konsol/keluar", {"csrf": "x" * 43})
    assert wrong.status_code == 403
    assert konsol.get("/konsol/").status_code == 200  # still signed in


def test_logout_ends_the_session(konsol: KonsolClient) -> None:
    konsol.login()
    out = konsol.post("/konsol/keluar")
    assert out.status_code == 200 and "sudah keluar" in out.text
    assert konsol.client.get("/konsol/").status_code == 401

    async def audit() -> list[str]:
        async with konsol.rt.sessions() as db:
            return list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))

    assert konsol.run(audit) == ["konsol_login", "konsol_logout"]


def test_a_removed_admin_is_out_at_once(konsol: KonsolClient) -> None:
    async def add() -> None:
        async with konsol.rt.sessions() as db, db.begin():
            await add_admin(db, "telegram", "777", "9001", konsol.rt.clock.now())

    konsol.run(add)
    konsol.login("telegram:777")
    assert konsol.get("/konsol/").status_code == 200

    async def remove() -> None:
        async with konsol.rt.sessions() as db, db.begin():
            await remove_admin(db, "telegram", "777")

    konsol.run(remove)
    assert konsol.client.get("/konsol/").status_code == 401

    async def ended() -> list[bool]:
        async with konsol.rt.sessions() as db:
            rows = await db.scalars(select(KonsolSession))
            return [r.ended_at is not None for r in rows]

    assert konsol.run(ended) == [True]


def test_behind_https_the_cookie_is_secure(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> None:
    settings = make_settings({"KONSOL_URL": "https://admin.bpsdm.example.go.id"})
    for konsol in konsol_client(settings, clock, secure=True):
        path = konsol.link()
        shown = konsol.client.get(path)
        pre = shown.text.split('name="csrf" value="')[1].split('"')[0]
        landed = konsol.client.post(path, data={"csrf": pre}, follow_redirects=False)
        cookie = next(c for c in landed.headers.get_list("set-cookie") if "konsol_sesi=" in c)
        assert "secure" in cookie.lower()


def test_a_failing_page_is_a_polite_500(
    make_settings: Callable[..., Settings], clock: FixedClock
) -> None:
    for konsol in konsol_client(make_settings(), clock, raise_errors=False):
        konsol.login()

        async def break_the_faq(rt: Runtime) -> None:
            async with rt.engine.begin() as conn:
                await conn.exec_driver_sql("DROP TABLE faq_entries")

        konsol.run(break_the_faq, konsol.rt)
        page = konsol.client.get("/konsol/faq")
        assert page.status_code == 500 and "Terjadi gangguan" in page.text
        assert "Traceback" not in page.text and "faq_entries" not in page.text

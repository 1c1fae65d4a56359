"""The two listeners `run` and `worker` start, and `dahar-ngopi konsol link`."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

import httpx
import pytest

from bot.app import start_listeners
from bot.cli import _parser
from bot.cli_konsol import link_cmd
from bot.http_server import HttpServer
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.startup import StartupError
from core.clock import FixedClock


async def test_run_serves_the_konsol_on_the_internal_listener(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        await start_listeners(runtime, stack)
        server = runtime.extras["admin_server"]
        assert isinstance(server, HttpServer) and server.host == "127.0.0.1"
        assert "http_server" not in runtime.extras  # nothing public to serve
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/healthz")).status_code == 200
            page = await client.get("/konsol/")
            assert page.status_code == 401 and "Silakan masuk" in page.text
    banner = capsys.readouterr().err
    assert f"Konsol (admin web page): {server.url}/konsol/" in banner
    assert "dahar-ngopi konsol link --admin telegram:9001" in banner
    assert "this machine only" in banner
    # Login links point at the listener that really answers (port 0 picked a free one).
    assert runtime.deps.config.konsol_url == server.url + "/konsol"


async def test_the_worker_serves_health_only(runtime: Runtime) -> None:
    async with contextlib.AsyncExitStack() as stack:
        await start_listeners(runtime, stack, konsol=False)
        server = runtime.extras["admin_server"]
        assert isinstance(server, HttpServer)
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/konsol/")).status_code == 404


async def test_a_taken_port_is_one_clear_line(
    make_settings: Callable[..., Settings], clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    rt = await build_runtime(make_settings({"ADMIN_HTTP_PORT": str(port)}), clock,
                             migrate=False)
    try:
        async with contextlib.AsyncExitStack() as stack:
            with pytest.raises(StartupError) as stopped:
                await start_listeners(rt, stack)
        # The command line prints it as the one line (tests/bot/test_startup_failures.py).
        line = str(stopped.value)
        assert stopped.value.code == 1 and "\n" not in line
        assert "set ADMIN_HTTP_PORT to a free port" in line and str(port) in line
    finally:
        taken.close()
        await rt.close()


async def test_konsol_link_for_operators(
    make_settings: Callable[..., Settings], clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings({"KONSOL_URL": "https://admin.bpsdm.example.go.id"})
    assert settings.konsol_url == "https://admin.bpsdm.example.go.id/konsol"
    rt = await build_runtime(settings, clock, migrate=False)
    try:
        ok = _parser().parse_args(["konsol", "link", "--admin", "telegram:9001"])
        assert await link_cmd(rt, ok) == 0
        url = capsys.readouterr().out.strip()
        assert url.startswith("https://admin.bpsdm.example.go.id/konsol/masuk/")
        assert len(url.rsplit("/", 1)[1]) >= 40
        nobody = _parser().parse_args(["konsol", "link", "--admin", "telegram:5001"])
        assert await link_cmd(rt, nobody) == 1
        assert "is not an admin" in capsys.readouterr().err
        wrong = _parser().parse_args(["konsol", "link", "--admin", "5001"])
        assert await link_cmd(rt, wrong) == 2
    finally:
        await rt.close()


def test_konsol_settings_are_checked() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        load_settings({"PUBLIC_URL": "http://bot.example"})
    with pytest.raises(SettingsError, match="KONSOL_URL"):
        load_settings({"KONSOL_URL": "admin.example"})
    defaults = load_settings({})
    assert (defaults.admin_http_host, defaults.admin_http_port) == ("127.0.0.1", 8081)
    assert defaults.konsol_local_url == "http://127.0.0.1:8081/konsol"

"""The konsol: BPSDM staff run the programme from a web page (server-rendered, Indonesian)."""

from __future__ import annotations

from bot.web.app import build_konsol

__all__ = ["build_konsol"]

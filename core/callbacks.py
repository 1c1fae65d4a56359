"""Typed, signed callback data for buttons.

A button's data is `<sig>.<prefix>:<field>:<field>`; the signature is an HMAC of the
payload and the person it was made for, so a forged, altered or forwarded button is
recognised and ignored (Telegram limits callback data to 64 bytes: keep fields short).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self, get_type_hints

__all__ = ["CallbackData", "CallbackError", "Signer"]

MAX_BYTES = 64
_SIG_LEN = 8


class CallbackError(ValueError):
    """Callback data that is malformed, altered, or made for someone else."""


class Signer:
    """Sign and verify callback payloads with a secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sig(self, owner: str, payload: str) -> str:
        mac = hmac.new(self._key, f"{owner}|{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode()[:_SIG_LEN]

    def sign(self, owner: str, payload: str) -> str:
        """Return `payload` signed for `owner` (a person id, or '' for anyone)."""
        data = f"{self._sig(owner, payload)}.{payload}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {payload!r}")
        return data

    def verify(self, owner: str, data: str) -> str:
        """Return the payload of `data` if it was signed for `owner`; raise otherwise."""
        sig, dot, payload = data.partition(".")
        if not dot or not hmac.compare_digest(sig, self._sig(owner, payload)):
            raise CallbackError("bad signature")
        return payload


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    # get_type_hints evaluates string annotations (compile + eval) on every call: a burst of
    # button presses would spend much of its time here.
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


@dataclass(frozen=True)
class CallbackData:
    """Base for typed callback data: subclass with a `prefix` and typed fields.

    >>> @dataclass(frozen=True)
    ... class Pick(CallbackData):
    ...     prefix: ClassVar[str] = "pick"
    ...     item: int
    """

    prefix: ClassVar[str]

    def pack(self) -> str:
        """Return the unsigned payload."""
        parts = [self.prefix]
        for f in fields(self):
            value = getattr(self, f.name)
            text = "" if value is None else str(int(value) if isinstance(value, bool) else value)
            if ":" in text:
                raise ValueError(f"':' not allowed in callback field {f.name}")
            parts.append(text)
        return ":".join(parts)

    @classmethod
    def matches(cls, payload: str) -> bool:
        """Whether `payload` belongs to this class."""
        return payload.split(":", 1)[0] == cls.prefix

    @classmethod
    def unpack(cls, payload: str) -> Self:
        """Parse a payload made by `pack`, validating every field's type."""
        parts = payload.split(":")
        flds = fields(cls)
        if parts[0] != cls.prefix or len(parts) != len(flds) + 1:
            raise CallbackError(f"not a {cls.prefix} callback")
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f, raw in zip(flds, parts[1:], strict=True):
            kind = hints[f.name]
            try:
                if kind is int:
                    values[f.name] = int(raw)
                elif kind is bool:
                    if raw not in ("0", "1"):
                        raise ValueError(raw)
                    values[f.name] = raw == "1"
                elif kind == (int | None):
                    values[f.name] = int(raw) if raw else None
                elif kind == (str | None):
                    values[f.name] = raw or None
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise CallbackError(f"bad field {f.name}") from exc
        return cls(**values)

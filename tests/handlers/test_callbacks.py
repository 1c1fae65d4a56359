"""Typed, signed callback data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from core.callbacks import CallbackData, CallbackError, Signer


@dataclass(frozen=True)
class Pick(CallbackData):
    prefix: ClassVar[str] = "pk"
    item: int
    note: str
    flag: bool


def test_pack_unpack_round_trip() -> None:
    data = Pick(42, "abc", True)
    assert Pick.unpack(data.pack()) == data
    assert Pick.matches(data.pack())


@pytest.mark.parametrize("payload", ["pk:x:abc:1", "pk:1:abc", "pk:1:abc:2", "zz:1:a:1"])
def test_unpack_rejects_malformed(payload: str) -> None:
    with pytest.raises(CallbackError):
        Pick.unpack(payload)


def test_signature_binds_payload_and_owner() -> None:
    signer = Signer(b"k" * 32)
    data = signer.sign("7", "pk:1:a:1")
    assert signer.verify("7", data) == "pk:1:a:1"
    with pytest.raises(CallbackError):
        signer.verify("8", data)  # a button made for someone else
    with pytest.raises(CallbackError):
        signer.verify("7", data.replace("pk:1", "pk:2"))  # altered
    with pytest.raises(CallbackError):
        signer.verify("7", "pk:1:a:1")  # unsigned
    with pytest.raises(CallbackError):
        Signer(b"other" * 8).verify("7", data)  # another key


def test_too_long_data_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        Signer(b"k").sign("1", "x" * 60)

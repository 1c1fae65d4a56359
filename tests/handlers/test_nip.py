"""NIP validation: structure, not just length."""

from __future__ import annotations

import pytest

from handlers.nip import NipError, mask_nip, parse_nip


def test_valid_nip_with_separators() -> None:
    assert parse_nip("1985 0714 201001 2 003") == "198507142010012003"
    assert parse_nip("198507142010012003") == "198507142010012003"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("19850714201001200", "18 digit"),
        ("1985071420100120031", "18 digit"),
        ("19850714201001200A", "hanya berisi angka"),
        ("198502302010012003", "tanggal lahir"),  # 30 February
        ("198513142010012003", "tanggal lahir"),  # month 13
        ("198507142010132003", "TMT"),  # appointment month 13
        ("198507141990012003", "TMT"),  # appointed at 4
        ("198507142010013003", "jenis kelamin"),
        ("198507142010010003", "jenis kelamin"),
        ("198507142010012000", "nomor urut"),
    ],
)
def test_wrong_nips_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(NipError, match=fragment):
        parse_nip(text)


def test_mask_hides_most_digits() -> None:
    masked = mask_nip("198507142010012003")
    assert masked.startswith("1985") and masked.endswith("2003")
    assert "0714201001" not in masked
    assert mask_nip(None) == "-"

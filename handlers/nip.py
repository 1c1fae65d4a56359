"""Validate a NIP (Nomor Induk Pegawai): 18 digits with a birth date, TMT, gender and sequence."""

from __future__ import annotations

import re
from datetime import date

__all__ = ["NipError", "mask_nip", "parse_nip"]


class NipError(ValueError):
    """A NIP that is not well formed; the message (Indonesian) says what is wrong."""


_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember")


def parse_nip(text: str, today: date | None = None) -> str:
    """Return the 18-digit NIP in `text` (spaces, dots and dashes allowed) or raise NipError.

    The TMT CPNS (digits 9-14) may not come before the 18th birthday, nor, given `today`,
    after this month.
    """
    digits = re.sub(r"[\s.\-]", "", text)
    if not digits.isdigit():
        raise NipError("NIP hanya berisi angka.")
    if len(digits) != 18:
        raise NipError(f"NIP harus 18 digit, yang Bapak/Ibu ketik {len(digits)} digit.")
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise NipError("8 digit pertama NIP harus tanggal lahir yang valid (TTTTBBHH).") from None
    year, month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= month <= 12:
        raise NipError("Digit ke-9 s.d. 14 NIP harus bulan dan tahun TMT CPNS (TTTTBB).")
    if born.year < 1940 or year > 2100:
        raise NipError("Tahun TMT CPNS pada NIP tidak cocok dengan tanggal lahir.")
    if (year, month) < (born.year + 18, born.month):
        raise NipError(
            f"TMT CPNS pada NIP ({_MONTHS[month - 1]} {year}) jatuh sebelum usia 18 tahun "
            "menurut tanggal lahirnya. Periksa kembali digit ke-9 s.d. 14."
        )
    if today is not None and (year, month) > (today.year, today.month):
        raise NipError(
            f"TMT CPNS pada NIP ({_MONTHS[month - 1]} {year}) belum terjadi. Periksa kembali "
            "digit ke-9 s.d. 14."
        )
    if digits[14] not in "12":
        raise NipError("Digit ke-15 NIP (jenis kelamin) harus 1 (pria) atau 2 (wanita).")
    if digits[15:] == "000":
        raise NipError("Tiga digit terakhir NIP (nomor urut) tidak boleh 000.")
    return digits


def mask_nip(nip: str | None) -> str:
    """Show a NIP without most digits (for logs and screens that need no full NIP)."""
    if not nip:
        return "-"
    return nip[:4] + "*" * 10 + nip[-4:]

"""Normalise phone numbers to WhatsApp's international digits form (6281234567890)."""

from __future__ import annotations

import re

__all__ = ["DEFAULT_COUNTRY_CODE", "normalize_number"]

DEFAULT_COUNTRY_CODE = "62"  # Indonesia

# Separators people type inside numbers: spaces, dashes, dots, brackets, slashes.
_SEPARATORS = re.compile(r"[\s\-./()]+")
# E.164 allows at most 15 digits; the shortest real mobile numbers have about 8.
_MIN_DIGITS = 8
_MAX_DIGITS = 15


def normalize_number(raw: str, *, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """Return `raw` as international digits without '+', or raise ValueError.

    Accepts `6281234567890`, `+62 812-3456-7890`, `0062812…` and the national trunk form
    `0812…` (which gets `country_code`). A bare `812…` is refused: it is ambiguous.
    """
    text = _SEPARATORS.sub("", raw.strip())
    explicit = True  # the country code was written out with "+" or "00"
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = country_code + text[1:]
    else:
        digits, explicit = text, False
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a phone number: {raw!r}")
    if digits.startswith("0"):
        raise ValueError(f"not a phone number: {raw!r}")
    if not explicit and digits.startswith("8") and country_code == DEFAULT_COUNTRY_CODE:
        # "812…" is an Indonesian number missing its 0 or 62; guessing would be wrong for
        # the country codes that do start with 8 (e.g. 81 Japan, 86 China), so refuse.
        raise ValueError(f"number needs a country code (62…) or a leading 0: {raw!r}")
    if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        raise ValueError(f"not a phone number (wrong length): {raw!r}")
    return digits

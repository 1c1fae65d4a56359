"""Indonesia's 514 kabupaten/kota (BPS codes) and finding one from what a person types.

Data: BPS, via edwardsamuel/Wilayah-Administratif-Indonesia, ODbL 1.0 (db/data/REGIONS-README.md).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

__all__ = ["Region", "Regions", "load_regions", "suggest_tz", "titled"]

_DATA = Path(__file__).parent / "data"

# Abbreviations people type for places; keys are lower case without dots.
ALIASES: dict[str, str] = {
    "sby": "3578", "surabaya": "3578", "mlg": "3573", "malang": "3573", "sda": "3515",
    "sidoarjo": "3515", "bdg": "3273", "bandung": "3273",
    "smg": "3374", "semarang": "3374", "jogja": "3471", "yogya": "3471", "jogjakarta": "3471",
    "yogyakarta": "3471", "solo": "3372", "mks": "7371", "makassar": "7371",
    "bwi": "3510", "gresik": "3525", "kediri": "3571", "madiun": "3577", "mdn": "1275",
    "medan": "1275", "dps": "5171", "denpasar": "5171", "plg": "1671", "bpp": "6471",
    "balikpapan": "6471", "jember": "3509", "pasuruan": "3575", "mojokerto": "3576",
    "blitar": "3572", "probolinggo": "3574", "batu": "3579", "jayapura": "9471",
}

_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


# Words title case gets wrong in BPS's upper-case names.
_CASED = {"Dki": "DKI", "Di": "DI", "Dan": "dan"}
_SPACED = re.compile(r"\b(?:[A-Z] ){2,}[A-Z]\b")  # "S I A K" in the source data


def titled(official: str) -> str:
    """'DKI JAKARTA' → 'DKI Jakarta', 'PANGKAJENE DAN KEPULAUAN' → 'Pangkajene dan
    Kepulauan', 'S I A K' → 'Siak'."""
    joined = _SPACED.sub(lambda m: m.group().replace(" ", ""), official.strip())
    return " ".join(_CASED.get(w, w) for w in joined.title().split())


@dataclass(frozen=True)
class Region:
    """One kabupaten or kota."""

    code: str
    province_code: str
    province: str
    official: str  # e.g. "KABUPATEN SIDOARJO"

    @property
    def name(self) -> str:
        """'Kab. Sidoarjo' or 'Kota Surabaya'."""
        words = titled(self.official)
        if words.startswith("Kabupaten "):
            return "Kab. " + words.removeprefix("Kabupaten ")
        return words

    @property
    def label(self) -> str:
        """The name with its province, for buttons."""
        return f"{self.name} ({titled(self.province)})"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def _bare(official: str) -> str:
    return _key(official.removeprefix("KABUPATEN ").removeprefix("KOTA "))


class Regions:
    """The list of kabupaten/kota with search."""

    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in regions}
        self._choices = {r.code: _bare(r.official) for r in regions}

    def __len__(self) -> int:
        return len(self._by_code)

    def all(self) -> list[Region]:
        """Every kabupaten/kota, in the list's order."""
        return list(self._by_code.values())

    def get(self, code: str | None) -> Region | None:
        """The region with this BPS code."""
        return self._by_code.get(code or "")

    def search(self, text: str, limit: int = 8) -> list[Region]:
        """Regions matching what a person typed, best first (aliases, prefixes, then fuzzy)."""
        key = _key(text)
        kind = re.match(r"^(kabupaten|kab|kota|kot)\s+", key)
        key = key[kind.end():] if kind else key
        key = {"jkt": "jakarta", "jak": "jakarta"}.get(key, key)
        if len(key) < 2:
            return []
        found: list[str] = []
        alias = ALIASES.get(key.replace(" ", ""))
        if alias:
            found.append(alias)
        for code, bare in self._choices.items():
            if (bare.startswith(key) or f" {key}" in f" {bare}") and code not in found:
                found.append(code)
        if len(found) < limit and len(key) >= 3:
            for _bare_name, score, code in process.extract(
                key, self._choices, scorer=fuzz.WRatio, limit=limit
            ):
                if score >= 80 and code not in found:
                    found.append(str(code))
        if not found and len(key) >= 4:
            found = [c for c, r in self._by_code.items() if _key(r.province).startswith(key)]
        # A kabupaten and a kota may share a name (Kab. Malang, Kota Malang): keep both,
        # the kind the person typed first.
        if kind:
            wanted = "KOTA" if kind.group(1).startswith("kot") else "KABUPATEN"
            found.sort(key=lambda c: not self._by_code[c].official.startswith(wanted))
        return [self._by_code[c] for c in found[:limit]]


def suggest_tz(region: Region | None) -> str:
    """The time zone most of a region's province uses."""
    if region is None:
        return "WIB"
    if region.province_code in _WITA_PROVINCES:
        return "WITA"
    if region.province_code in _WIT_PROVINCES:
        return "WIT"
    return "WIB"


@cache
def load_regions() -> Regions:
    """Load the shipped list (once)."""
    with (_DATA / "provinces.csv").open(encoding="utf-8") as f:
        provinces = {row[0]: row[1] for row in csv.reader(f) if row}
    with (_DATA / "regencies.csv").open(encoding="utf-8") as f:
        regions = [
            Region(row[0], row[1], provinces.get(row[1], ""), row[2])
            for row in csv.reader(f)
            if row
        ]
    return Regions(regions)

"""Finding a kabupaten/kota from what a person types."""

from __future__ import annotations

from db.regions import load_regions, suggest_tz


def test_all_514_regions_load() -> None:
    assert len(load_regions()) == 514


def test_abbreviation_and_full_name_are_one_place() -> None:
    regions = load_regions()
    assert regions.search("Sby")[0].code == regions.search("Surabaya")[0].code == "3578"
    assert regions.search("Sby")[0].name == "Kota Surabaya"


def test_kabupaten_and_kota_with_the_same_name() -> None:
    regions = load_regions()
    names = [r.name for r in regions.search("kab malang")]
    assert names[0] == "Kab. Malang"
    assert "Kota Malang" in names


def test_typo_is_forgiven_and_nonsense_is_not() -> None:
    regions = load_regions()
    assert regions.search("Bnyuwangi")[0].name == "Kab. Banyuwangi"
    assert regions.search("xq") == []


def test_time_zone_suggestion_by_province() -> None:
    regions = load_regions()
    assert suggest_tz(regions.get("3578")) == "WIB"
    assert suggest_tz(regions.get("5171")) == "WITA"  # Denpasar
    assert suggest_tz(regions.get("9471")) == "WIT"  # Jayapura

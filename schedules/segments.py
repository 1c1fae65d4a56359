"""Who an announcement is for: a segment of the subscribers, as SQL (never loaded)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.channels import ChannelInfo
from core.programme import by_key, find_programme
from db.models.people import Person
from db.regions import Regions
from schedules.audience import recipients

__all__ = [
    "SEGMENT_KEYS", "Segment", "SegmentError", "checked_segment", "parse_segment",
]

SEGMENT_KEYS = ("region", "instansi", "channel", "programme")
# What people may type for a key on the command line.
_KEY_ALIASES = {
    "region": "region", "region_code": "region", "kabupaten": "region", "kota": "region",
    "kab": "region", "wilayah": "region", "instansi": "instansi", "opd": "instansi",
    "channel": "channel", "kanal": "channel", "programme": "programme", "program": "programme",
}


class SegmentError(ValueError):
    """A segment that cannot be understood; the message is Indonesian, for the admin."""


@dataclass(frozen=True)
class Segment:
    """Conditions on the subscribers, all of which must hold; empty means everyone.

    region: a BPS kabupaten/kota code; instansi: a case-insensitive part of the
    person's instansi; channel: the person's preferred channel; programme: the
    key of a programme the person has not muted.
    """

    region: str | None = None
    instansi: str | None = None
    channel: str | None = None
    programme: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Segment:
        """Read the stored form."""
        data = data or {}
        return cls(**{k: str(data[k]) for k in SEGMENT_KEYS if data.get(k)})

    def to_json(self) -> dict[str, object]:
        """The stored form (only the keys that are set)."""
        return {k: v for k in SEGMENT_KEYS if (v := getattr(self, k))}

    @property
    def everyone(self) -> bool:
        """Whether no condition is set."""
        return not self.to_json()

    def describe(self, regions: Regions, channels: Mapping[str, ChannelInfo]) -> str:
        """In Indonesian, for previews and reports (plain text, not HTML)."""
        if self.everyone:
            return "semua pelanggan"
        parts = []
        if self.region:
            region = regions.get(self.region)
            parts.append(region.name if region else f"wilayah {self.region}")
        if self.instansi:
            parts.append(f"instansi memuat “{self.instansi}”")
        if self.channel:
            info = channels.get(self.channel)
            parts.append(f"pengguna {info.label if info else self.channel}")
        if self.programme:
            parts.append(f"pelanggan {by_key(self.programme).name}")
        return "; ".join(parts)

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on Person (the programme's is in `audience`)."""
        conds: list[ColumnElement[bool]] = []
        if self.region:
            conds.append(Person.region_code == self.region)
        if self.instansi:
            conds.append(func.lower(Person.instansi).contains(self.instansi.lower(),
                                                              autoescape=True))
        if self.channel:
            conds.append(Person.preferred_channel == self.channel)
        return conds

    def audience(self, channels: Collection[str]) -> Select[int, str, str]:
        """SELECT person id, channel, chat id of every recipient on `channels`."""
        chans = [c for c in channels if self.channel in (None, c)]
        return recipients(chans, programme_key=self.programme, extra=self.conditions())

    async def count(self, session: AsyncSession, channels: Collection[str]) -> dict[str, int]:
        """Recipients per channel, counted by the database."""
        sub = self.audience(channels).subquery()
        chan = list(sub.c)[1]
        rows = await session.execute(select(chan, func.count()).group_by(chan))
        return {str(c): int(n) for c, n in rows.all()}


def parse_segment(
    items: Iterable[str], regions: Regions, channels: Mapping[str, ChannelInfo]
) -> Segment:
    """A segment from KEY=VALUE items (the CLI's --segment), names resolved and checked."""
    values: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not eq or not value:
            raise SegmentError(f"segmen harus berbentuk KUNCI=NILAI, bukan {item!r}")
        canonical = _KEY_ALIASES.get(key)
        if canonical is None:
            raise SegmentError(
                f"kunci segmen {key!r} tidak dikenal (pilih: {', '.join(SEGMENT_KEYS)})"
            )
        values[canonical] = value
    return checked_segment(values, regions, channels)


def checked_segment(
    values: dict[str, str], regions: Regions, channels: Mapping[str, ChannelInfo]
) -> Segment:
    """Resolve a region name to its code, a programme name to its key; check channels."""
    region = values.get("region")
    if region and regions.get(region) is None:
        found = regions.search(region, limit=2)
        if not found:
            raise SegmentError(f"kabupaten/kota {region!r} tidak ditemukan")
        if len(found) > 1 and not region.isdigit():
            names = ", ".join(f"{r.name} ({r.code})" for r in regions.search(region))
            raise SegmentError(f"{region!r} cocok dengan beberapa wilayah: {names}; "
                               "tulis kodenya")
        region = found[0].code
    channel = values.get("channel")
    if channel:
        channel = channel.lower()
        known = [c for c, info in channels.items() if info.linkable]
        if channel not in known:
            raise SegmentError(f"kanal {channel!r} tidak dikenal (pilih: {', '.join(known)})")
    programme = values.get("programme")
    if programme:
        found_programme = find_programme(programme)
        if found_programme is None:
            raise SegmentError(f"program {programme!r} tidak dikenal")
        programme = found_programme.key
    instansi = values.get("instansi")
    return Segment(region=region, instansi=instansi or None, channel=channel,
                   programme=programme)

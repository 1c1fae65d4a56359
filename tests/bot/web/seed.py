"""People for the konsol's tests: registered subscribers with a chat each."""

from __future__ import annotations

from datetime import datetime

from db.engine import Sessions
from db.models import Identity, Person


async def add_people(
    sessions: Sessions, now: datetime, count: int, *, region: str = "3515",
    instansi: str = "Dinas Pendidikan Kab. Sidoarjo", channel: str = "telegram",
    first_id: int = 7345123000, name: str = "Peserta", nip_from: int = 0,
) -> list[int]:
    """`count` registered subscribers (NIPs 198507142010011{nip_from + n:03}); returns
    their ids."""
    ids = []
    async with sessions() as db, db.begin():
        for n in range(count):
            person = Person(full_name=f"{name} {n + 1}", nip=f"198507142010011{nip_from + n:03d}",
                            instansi=instansi, region_code=region, tz="WIB", consent_at=now,
                            registered_at=now, subscribed=True, reachable=True,
                            preferred_channel=channel, preferences={}, created_at=now)
            db.add(person)
            await db.flush()
            external = str(first_id + n)
            db.add(Identity(person_id=person.id, channel=channel, external_id=external,
                            chat_id=external, created_at=now, last_inbound_at=now))
            ids.append(person.id)
    return ids

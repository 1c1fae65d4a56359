"""A session's quiz put straight into the database, for the quiz tests."""

from __future__ import annotations

from db.engine import Sessions
from db.learning import replace_questions

# (question, options, right answer's index, explanation): the right answers are B, C, A.
QUESTIONS = [
    ("Arsip dinamis aktif disimpan di mana?", ["Gudang", "Unit pengolah", "Museum", "Rumah"],
     1, "Arsip aktif dipakai sehari-hari, jadi disimpan di unit pengolah."),
    ("Berapa JP minimal per tahun bagi PNS?", ["10", "15", "20", "40"], 2,
     "PP 17/2020: paling sedikit 20 JP setahun."),
    ("1 JP sama dengan berapa menit?", ["45", "60", "30", "50"], 0, ""),
]


async def add_quiz(sessions: Sessions, session_id: int, count: int = 3) -> None:
    """Give a session the first `count` of QUESTIONS."""
    async with sessions() as s, s.begin():
        await replace_questions(s, session_id, QUESTIONS[:count])

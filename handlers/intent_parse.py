"""Read a chat message as a question about sessions or about the person, or as neither.

Pure: no database. The words come from the FAQ's normaliser (slang, typos, affixes), then a
few readings of our own; a message is an intent only when nearly every word in it is
explained (a day, a programme, what is asked, polite filler). Anything else is left to the
FAQ, which is why "cara ikut zoom" (how to join) stays an FAQ question while "link zoom
kamis" is answered from the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rapidfuzz import fuzz, process

from handlers.faq_normalize import ROOTS, SLANG, STOPWORDS, normalize, words_of
from handlers.intent_dates import WEEKDAYS, When, ahead, merge_hints, read_when, slash_dates

__all__ = ["FIELDS", "Intent", "parse_intent"]

Kind = Literal["session", "personal"]

# What is asked about a session.
FIELDS = ("link", "zoom", "youtube", "time", "end", "speaker", "title", "schedule", "jp",
          "recording", "code")

# Chat spellings the FAQ's normaliser leaves alone, as the intent layer reads them.
_LOCAL: dict[str, str] = {
    "jpku": "jp saya", "jpne": "jp", "jpnya": "jp", "pkl": "pukul", "jm": "jam", "sp": "siapa",
    "mn": "mana", "ny": "nya", "kemis": "kamis", "kmis": "kamis", "jemuah": "jumat",
    "jumuah": "jumat", "setu": "sabtu", "besuk": "besok", "kemaren": "kemarin", "ntar": "nanti",
    "entar": "nanti", "pekan": "minggu", "zum": "zoom", "zom": "zoom", "jdwl": "jadwal",
    "jadwl": "jadwal", "jdw": "jadwal", "ustadz": "narasumber", "ustaz": "narasumber",
    "ustad": "narasumber", "ustadzah": "narasumber", "ustazah": "narasumber",
    "kyai": "narasumber", "kiai": "narasumber", "penceramah": "narasumber",
    "ceramah": "kaji", "instruktur": "narasumber", "pelatih": "narasumber",
    "pengisi": "narasumber", "moderator": "narasumber", "selanjut": "selanjutnya",
    "record": "rekam", "recording": "rekam", "rekaman": "rekam", "tayang": "tayang",
    "progress": "progres", "progresnya": "progres", "kecatet": "catat", "tercatat": "catat",
    "kesehatan": "sehat", "ngaji": "kaji", "pengajian": "kaji", "tausiyah": "kaji",
    "kultum": "kaji", "sertif": "sertifikat", "sertifikatku": "sertifikat saya",
    "absenku": "hadir saya", "profilku": "profil saya", "dataku": "data saya",
    "durung": "belum", "wis": "sudah", "kali": "kali", "brapa": "berapa", "sing": "yang",
    "opo": "apa", "sopo": "siapa", "piro": "berapa", "pinten": "berapa", "temane": "tema",
    "mulaine": "mulai", "linke": "link", "bsk": "besok", "dpn": "depan", "tgl": "tanggal",
    "berikut": "selanjutnya", "berikutnya": "selanjutnya", "terdekat": "selanjutnya",
    "bawain": "narasumber", "pembawa": "narasumber", "diupload": "unggah",
    "upload": "unggah", "diunggah": "unggah",
}

# Programmes by the words people use for them (after normalising).
_PROGRAMME_WORDS: dict[str, str] = {
    "belajar": "asn-belajar", "kaji": "asn-mengaji", "senam": "asn-sehat-bugar",
    "sehat": "asn-sehat-bugar", "forum": "forum-berbagi-ilmu", "ilmu": "forum-berbagi-ilmu",
    "olahraga": "asn-sehat-bugar", "yoga": "asn-sehat-bugar", "bugar": "asn-sehat-bugar",
    "zumba": "asn-sehat-bugar", "aerobik": "asn-sehat-bugar",
}
# Words that say "a session" without naming a programme.
SESSION_NOUNS = words_of("sesi acara giat webinar kelas program agenda live siar dahar ngopi")
# What is asked, by word.
_FIELD_WORDS: dict[str, str] = {
    "link": "link", "zoom": "zoom", "meeting": "zoom", "youtube": "youtube", "jam": "time",
    "pukul": "time", "kapan": "time", "mulai": "time", "waktu": "time", "selesai": "end",
    "sampai": "end", "lama": "end", "narasumber": "speaker", "isi": "speaker",
    "judul": "title", "tema": "title", "topik": "title", "materi": "title", "bahas": "title",
    "rekam": "recording", "replay": "recording", "video": "recording", "unggah": "recording",
    "jadwal": "schedule", "jp": "jp", "kode": "code",
}
# Fields that decide over others when both are named ("link rekaman" is the recording).
_PRIORITY = ("code", "recording", "speaker", "title", "jp", "end", "time", "zoom", "youtube",
             "link", "schedule")
# Polite filler and question words that add nothing to what is asked.
_FILLER = STOPWORDS | words_of(
    """
    apa mana berapa ada minta kirim bagi share dong ya min mimin sudah belum mau tolong mohon
    pak bu kak info dapat lihat cek tahu boleh kah nih hari tanggal pada itu di siang pagi
    sore malam asn bpsdm jatim yang buat lagi aja saja sama kok udah bisa ikut tinggal
    nonton tonton ulang nya id wib wita wit tentang ttg gimana bagaimana siapa kali hitung
    jumlah total berikan bocorin lengkap detail tidak sempat
    """
) - words_of("tonton nonton")
# Words that make it a question for the FAQ (how, why, may I, a different subject), unless
# the message names a session outright.
_FAQ_TOPICS = words_of(
    """
    cara kenapa mengapa daftar nip hapus ubah ganti edit henti langgan passcode password
    sandi masuk gagal error salah lupa bayar biaya gratis libur lebaran menu ingat
    notifikasi zona arti maksud singkat ngapain apaan wajib harus sanksi usul lewat
    channel pesan whatsapp telegram bot sertifikat bikin selenggara peserta tonton seri weekly
    episode bahan ppt slide modul unduh download
    """
)
# Words that make it a general question when no day is named ("asn belajar dihitung
# berapa jp" is about the programme; "asn belajar kamis ini … berapa jp", about a session).
_GENERAL = words_of("hitung itu biasa biasanya selalu setiap tiap")
# Words that make it a question for the FAQ when no session is named ("link" alone is the
# next session's link; "bisa nonton di yt?" is about YouTube in general).
_LOOSE_TOPICS = _FAQ_TOPICS | words_of(
    """
    bisa boleh hadir kode live streaming tonton sertifikat data profil jp
    """
)
# About the person: their JP, attendance, profile, questions (and later, certificates).
_MINE = words_of("saya")
_PERSONAL_TOPICS: dict[str, str] = {
    "jp": "jp", "rekap": "jp", "riwayat": "jp", "capai": "jp", "capaian": "jp",
    "progres": "jp", "statistik": "jp", "target": "jp", "hadir": "attendance",
    "catat": "attendance", "profil": "profile", "data": "profile", "diri": "profile",
    "sertifikat": "certificates", "tanya": "questions", "jawab": "questions", "ikut": "jp",
    "umum": "announcements",
}
_PERSONAL_FILLER = _FILLER | words_of(
    """
    berapa kurang cukup tahun ini kemarin masuk tidak sesi kali bulan dari target 20 akhir
    jawab terima tercatat lihat cek semua apa saja mana isi simpan senin selasa rabu kamis
    jumat sabtu minggu lalu depan besok lusa hari tanggal baru akhir kapan kok segera lama
    """
) | SESSION_NOUNS | set(_PROGRAMME_WORDS)
_UPCOMING = words_of("selanjutnya lagi")
_LAST = words_of("akhir")
_VOCAB = sorted(
    set(_PROGRAMME_WORDS) | set(_FIELD_WORDS) | SESSION_NOUNS
    | words_of("senin selasa rabu kamis jumat sabtu minggu besok lusa kemarin depan lalu")
)


@dataclass(frozen=True)
class Intent:
    """What a message asks, for the answering layer.

    A `session` intent asks `field` of the sessions of `programme` (or any) on `when`
    (or the next ones). `hints` are the programme words as typed ("yoga", "senam"): they
    pick among that programme's sessions by title when they can. `unexplained` are words
    nothing else explains: they must name a session by its title ("jalan sehat"), or the
    message is not about sessions. A `personal` intent asks `field` of the person (jp,
    attendance, profile, questions, certificates), about `when` if a day was named.
    """

    kind: Kind
    field: str
    programme: str | None = None
    when: When | None = None
    hints: tuple[str, ...] = ()
    unexplained: tuple[str, ...] = ()


def _words(text: str, today: date) -> tuple[list[str], When | None]:
    raw, slashed = slash_dates(text.lower(), today)
    raw = re.sub(r"\b(berikut|selanjut)(nya|e)?\b", " selanjutnya ", raw)
    raw = re.sub(r"\bber(?=tanya\b)", "", raw)
    # "seminggu", "tiap minggu", "mingguan": every week, not a Sunday (the FAQ's menu).
    raw = re.sub(r"\b(se|tiap|per|setiap)\s*minggu(nya)?\b|\bmingguan\b", " weekly ", raw)
    out: list[str] = []
    for w in normalize(raw).split():
        out += _LOCAL.get(w, w).split()
    return [_correct(w) for w in out], slashed


def _correct(word: str) -> str:
    """A known word for a mistyped one ("blajar" → "belajar")."""
    if len(word) < 5 or word.isdigit() or word in _FILLER or word in _VOCAB:
        return word
    if word in ROOTS or word in SLANG or word in _PERSONAL_TOPICS:
        return word  # a word the normaliser knows is not a typo of ours
    best = process.extractOne(word, _VOCAB, scorer=fuzz.ratio, score_cutoff=85)
    if best is None or best[0][0] != word[0]:
        return word
    return str(best[0])


def _programme(words: list[str], used: list[bool]) -> str | None:
    found: str | None = None
    for i, w in enumerate(words):
        key = _PROGRAMME_WORDS.get(w)
        prev = words[i - 1] if i else ""
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "tanya" and (prev == "asn" or nxt == "jawab"):
            key = "asn-bertanya"
            if nxt == "jawab":
                used[i + 1] = True
        if w == "jawab" and prev == "bpsdm":
            key = "asn-bertanya"
        if w == "bagi" and nxt == "ilmu":
            key = "forum-berbagi-ilmu"
        if key is not None:
            used[i] = True
            found = found or key
    return found


def _field(words: list[str], used: list[bool]) -> str | None:
    named: set[str] = set()
    for i, w in enumerate(words):
        f = _FIELD_WORDS.get(w)
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == "siapa":
            f = "speaker"
        if w == "kode" and nxt == "hadir":
            used[i + 1] = True
        if w in ("tonton", "siar", "tayang") and nxt == "ulang":
            f = "recording"
        if w == "ada" and nxt == "apa":
            f = "schedule"
        if w == "tentang" and nxt == "apa":
            f = "title"
        if w == "berapa" and nxt == "lama":
            f = "end"
        if f is not None:
            used[i] = True
            named.add(f)
    if "speaker" in named and named & {"title"} and "siapa" in words:
        named.discard("title")  # "siapa yang bawain materi": who
    return next((f for f in _PRIORITY if f in named), None)


def _personal(words: list[str], used: list[bool], when: When | None,
              programme: str | None) -> Intent | None:
    """"jp saya berapa", "sudah absen belum", "profil saya", "jawab dong min",
    "pengumuman terbaru apa?"."""
    topics = [_PERSONAL_TOPICS[w] for i, w in enumerate(words)
              if w in _PERSONAL_TOPICS and not used[i]]
    if not topics:
        return None
    mine = bool(_MINE & set(words))
    asking_done = "sudah" in words and ("belum" in words or "tidak" in words)
    attendance = "attendance" in topics
    # Their questions and the announcements they got need no "saya": "jawab dong min".
    own = {"questions", "announcements"} & set(topics)
    if not mine and not own and not (attendance and (asking_done or "catat" in words)):
        return None
    others = [w for w in words if w not in _PERSONAL_TOPICS and w not in _PERSONAL_FILLER
              and w not in _MINE and not w.isdigit()]
    if others:
        return None
    kind = next(f for f in ("announcements", "certificates", "questions", "profile",
                            "attendance", "jp") if f in topics)
    if kind == "attendance" and not (asking_done or "catat" in words or "masuk" in words):
        kind = "jp"  # "kehadiran saya": the record, not one session
    return Intent("personal", kind, programme, when)


def _two_weekdays(words: list[str]) -> bool:
    return len({w for w in words if w in WEEKDAYS and w != "minggu"}) > 1


def _offering(words: list[str]) -> bool:
    """"bisa ngisi materi?", "mau jadi narasumber": offering to present, not asking who."""
    return any(w in ("isi", "narasumber") and set(words[:i]) & {"bisa", "boleh", "mau", "jadi"}
               for i, w in enumerate(words))


def parse_intent(text: str, today: date) -> Intent | None:
    """The question `text` asks about sessions or about the person, or None."""
    words, slashed = _words(text, today)
    if not words and slashed is None:
        return None
    when, used = read_when(words, today)
    when = when or slashed
    programme = _programme(words, used)
    mine = _personal(words, used, when, programme)
    if mine is not None:
        return mine
    field_ = _field(words, used)
    nouns = [w for w in words if w in SESSION_NOUNS]
    upcoming = bool(_UPCOMING & set(words))
    last = bool(_LAST & set(words))
    rest = [w for i, w in enumerate(words)
            if not used[i] and w not in _FILLER and w not in SESSION_NOUNS
            and w not in _UPCOMING and w not in _LAST and not w.isdigit()
            and not (w == "menu" and when is not None)]
    named = when is not None or programme is not None
    anchored = named or bool(nouns)
    if when is not None and "menu" in words:
        nouns.append("menu")
    if field_ is None:
        # "forum besok", "agenda jumat", "sesi berikutnya": what is on.
        if not ((nouns or programme) and (named or upcoming)) and not (when and "ada" in words):
            return None
        field_ = "schedule"
    topics = _FAQ_TOPICS if named else _LOOSE_TOPICS
    free = {w for i, w in enumerate(words) if not used[i]}
    if when is not None and "menu" in free:
        free.discard("menu")  # "menu hari jumat": what is on that day, not the morning menu
    if topics & free or (field_ in ("code", "jp") and not named):
        return None  # "kode absennya apa", "1 sesi dapat berapa jp": in general, the FAQ
    if when is None and _GENERAL & set(words):
        return None  # "asn belajar itu apa", "dihitung berapa jp": the programme in general
    if _two_weekdays(words) or _offering(words):
        return None  # "senin sampai jumat": the weekly menu; "bisa ngisi …": to present
    # Words nothing explains: a session's title may ("yoga"), up to a few when a session
    # is named; with nothing named, the message is about something else.
    if len(rest) > (3 if named else 2 if anchored else 0):
        return None
    if field_ == "schedule" and not anchored:
        return None
    if when is not None and field_ != "recording":
        when = ahead(when, today)
    hints = tuple(w for w in words if w in _PROGRAMME_WORDS)
    return Intent("session", field_, programme, merge_hints(when, upcoming=upcoming, last=last),
                  hints, tuple(rest))

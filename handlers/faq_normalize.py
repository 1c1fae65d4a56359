"""Normalise Indonesian chat text for FAQ matching: case, punctuation, slang, affixes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache

__all__ = [
    "LIGHT",
    "NEUTRAL",
    "ROOTS",
    "SLANG",
    "STOPWORDS",
    "normalize",
    "squeeze",
    "stem",
    "words_of",
]

# Chat spellings, abbreviations and common Javanese words -> standard Indonesian.
# A value may be several words, or "" to drop the token. Applied before and after stemming.
_SLANG_GROUPS: dict[str, str] = {
    "bagaimana": "gmn gmna gimana gmana gimn bgmn bgm bgmna bagaimna bgaimana gemana piye pripun "
    "kepriye kpriye priye gimane",
    "kapan": "kpn kapn kpan",
    "mana": "dmn dmana dimn dimna dimana ngendi endi pundi",
    "yang": "yg yng",
    "untuk": "utk untk tuk kanggo bwt",
    "saya": "sy sya aku ku aq gw gue gua kulo kula ane",
    "tidak": "tdk tak gk ga gak nggak enggak ngga engga nda ndak kagak gag ora mboten ra tdak",
    "bisa": "bs bsa iso isa saged",
    "karena": "krn karna krna soale",
    "dengan": "dgn dg sm ama karo",
    "juga": "jg jga",
    "belum": "blm blum durung dereng",
    "sudah": "sdh udh udah dah wis uwis sampun sudh",
    "tanggal": "tgl tggl",
    "hari": "hr dino",
    "saja": "aja aj ae wae",
    "dapat": "dpt dapet dpet",
    "kenapa": "knp napa ngapa kenopo ngopo mengapa",
    "apa": "ap opo nopo apaan apakah",
    "berapa": "brp brapa brpa piro pinten",
    "siapa": "sapa sopo sinten",
    "sebagai": "sbg sbgai",
    "seperti": "spt kyk kayak",
    "tetapi": "tp tpi tapi",
    "kalau": "klo kalo kl klau nek yen",
    "lagi": "lg lgi",
    "masih": "msh masi",
    "terus": "trs trus",
    "dari": "dr dri",
    "pada": "pd",
    "mau": "mo pengen pingin pengin kepingin ingin badhe arep",
    "sekarang": "skrg skr saiki sakniki",
    "besok": "bsk sesuk mbenjang",
    "kemarin": "kmrn kmrin wingi",
    "depan": "dpn",
    "sebelum": "sblm",
    "setelah": "stlh abis habis sesudah",
    "sampai": "smp sampe ampe",
    "tahu": "tau ngerti",
    "lihat": "liat ndelok delok",
    "tentang": "ttg tntg",
    "jadi": "jd",
    "itu": "tu iku kui niku",
    "ini": "iki niki",
    "di": "nang neng ning",
    "ada": "ono wonten",
    "ikut": "melu ndherek ikutan",
    "pakai": "pake make",
    "saat": "pas",
    "hanya": "cuma cuman",
    "benar": "bener",
    "catat": "catet",
    "hilang": "ilang",
    "senin": "senen",
    "komplain": "komplen complain",
    "nomor": "no nmr",
    "kontak": "cp contact",
    "tonton": "nonton",
    "youtube": "yt yutub yutube youtub",
    "whatsapp": "wa whatsap watsap wasap",
    "telegram": "tele tg",
    "link": "lnk tautan url",
    "sertifikat": "serti sertif sertipikat",
    "hadir": "absen absensi presensi",
    "ingat": "reminder",
    "notifikasi": "notif",
    "narasumber": "narsum pemateri pembicara",
    "informasi": "info",
    "tolong": "tlg",
    "jangan": "jgn jngn",
    "ya": "nggih njih inggih yo",
    "terimakasih": "makasih trims thx tq",
    "bagi": "share",
    "gabung": "join",
    "henti": "stop",
    "hapus": "delete",
    "ubah": "edit update",
}
SLANG: dict[str, str] = {k: v for v, ks in _SLANG_GROUPS.items() for k in ks.split()}


def words_of(text: str) -> frozenset[str]:
    """The set of whitespace-separated words in `text`."""
    return frozenset(text.split())


# Words that carry no meaning for matching (particles, pronouns, forms of address, fillers).
# "min"/"mimin" are dropped too: in chat they address the admin ("link nya mana min") far more
# often than they ask about one; a question about the admin says "admin".
STOPWORDS = words_of(
    """
    yang di ke dari pada untuk dengan dan atau itu ini saya anda kamu kami kita dia ya iya
    sih dong deh nih kok lho loh kah lah toh tah pun nya saja juga tolong mohon min mimin
    kak pak bu bapak ibu mas mbak gan bro sis om dik dek bang the to a e an punya akan nah
    wah eh hmm kakak sama tentang adalah yaitu oleh para agar supaya biar kalau jika sebagai
    seperti tetapi karena terus lagi masih selama sedangkan buat saat hanya banget nanti
    dulu aja gitu gini begitu begini ok oke okay siap sip baik halo hai hi hallo helo
    selamat terimakasih kasih assalamualaikum salam permisi maaf hormat info informasi
    mengenai soal perihal wr wb warahmatullahi wabarakatuh ganggu izin numpang sekalian
    """
)

# Where people work: agencies, regions, islands, East Java's regencies. A message naming its
# sender's office or town ("sy asn dr kalimantan ...") is not less in scope for it, so these
# words weigh nothing unless an entry uses them (zona-waktu names Papua, Bali, Makassar).
NEUTRAL = words_of(
    """
    pemkab pemkot pemprov pemda pemerintah kabupaten kab kota provinsi prov kementerian
    kemen lembaga dinas badan bagian bidang seksi sekretariat setda kecamatan kelurahan desa
    puskesmas rsud uptd upt satker pusat daerah opd unit kerja kantor jawa timur barat
    tengah utara selatan tenggara nusa kepulauan sumatra sumatera kalimantan sulawesi papua
    maluku bali ntb ntt aceh riau jambi bengkulu lampung bangka belitung banten jakarta dki
    yogyakarta jogja diy gorontalo jatim jateng jabar pacitan ponorogo trenggalek
    tulungagung blitar kediri malang lumajang jember banyuwangi bondowoso situbondo
    probolinggo pasuruan sidoarjo mojokerto jombang nganjuk madiun magetan ngawi bojonegoro
    tuban lamongan gresik bangkalan sampang pamekasan sumenep surabaya batu madura
    """
)

# Question words and very common verbs: kept, but weigh little (see handlers/faq_match.py).
LIGHT = words_of(
    """
    apa bagaimana kapan mana siapa berapa kenapa bisa mau ada tidak sudah belum boleh
    harus cara hari ikut dapat tanya
    """
)

# Root words the stemmer may reduce to. A derived word is only reduced when the result is a
# known root, so "tanya" keeps its "nya" and "berapa" is not taken for ber- + "apa".
ROOTS = words_of(
    """
    ada ajar ajak akhir aktif akun alam alamat ambil anggap angka arti atur awal bagi baca
    bahas balas banding bantu banyak baru batal batas bayar beda belajar benar bicara bina
    buat buka bugar cabut cari catat cepat cek cetak coba cocok daftar dapat datang dengar
    diri dukung edit gabung gagal ganti gelar guna hadir hapus harap henti hilang hitung
    hubung ikut ingat ingin isi izin jadi jalan jawab kaji kelola kenal kerja kirim klik
    kumpul kurang laku langgan lapor lengkap lewat lihat lupa main masuk mati minta mudah
    mulai muncul nama nilai nyala olah pakai panggil pasang pegawai perlu pilih pindah putus
    rekam salah sambung sampai sebar sedia sehat selenggara selesai sertifikat simpan siar
    sila tahu tampil tanya tayang tekan temu terima tinggal tolak tonton tulis tunggu ubah
    ulang umum unduh undang urus usul wajib baik hasil tambah acara kode jadwal menu pesan
    data rekap program sesi link zoom webinar kirim jam waktu tema materi topik forum ilmu
    kantor instansi kota daerah wilayah zona jelas kasih berapa bagaimana kapan siapa mana
    apa kenapa tidak sudah belum bisa boleh harus mau terus sedang tersebut semua setiap
    tiap senin selasa rabu kamis jumat sabtu minggu ngopi dahar tanggal besok kemarin hari
    bulan tahun menit pukul libur peserta narasumber tanggap dalam luar antar pertama seri
    keluar lebaran aman nip asn pns pppk youtube whatsapp telegram singkat tuju giat tentu
    milik kena lalu lama besar kecil tetap komplain keluh cara pikir
    """
)

_PARTICLES = ("lah", "kah", "tah", "pun", "nya")
_SUFFIXES = ("kan", "an", "in", "ne", "ke", "i", "e", "ku", "mu")
# (prefix, letter restored at the front of the root); "" restores nothing.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("meny", "s"), ("peny", "s"), ("meng", "k"), ("peng", "k"), ("meng", ""), ("peng", ""),
    ("mem", "p"), ("pem", "p"), ("mem", ""), ("pem", ""), ("men", "t"), ("pen", "t"),
    ("men", ""), ("pen", ""), ("me", ""), ("pe", ""), ("ber", ""), ("be", ""), ("ter", ""),
    ("per", ""), ("di", ""), ("ke", ""), ("se", ""), ("nge", ""), ("ng", "k"), ("ng", ""),
    ("ny", "s"), ("ny", "c"), ("n", "t"), ("m", "p"), ("m", ""),
)


def _known(word: str) -> bool:
    return word in ROOTS or word in SLANG


def _strip_prefixes(word: str, depth: int = 2) -> list[str]:
    """All words left by removing up to `depth` prefixes, nearest first."""
    found: list[str] = []
    for prefix, restore in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = restore + word[len(prefix):]
            found.append(rest)
            if depth > 1:
                found.extend(_strip_prefixes(rest, depth - 1))
    return found


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """Reduce `word` to a known root by removing affixes; unchanged when no root is found."""
    if _known(word) or word in STOPWORDS or len(word) <= 3:
        return word
    bases = [word]
    for particle in _PARTICLES:
        if word.endswith(particle):
            bases.append(word[: -len(particle)])
    for base in list(bases):
        for suffix in _SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= 3:
                bases.append(base[: -len(suffix)])
    for base in bases:
        if _known(base) and len(base) >= 3:
            return base
        for rest in _strip_prefixes(base):
            if len(rest) >= 3 and _known(rest):
                return rest
    # "-nya" (its, the) is nearly always a suffix once the word is not a known root.
    if word.endswith("nya") and len(word) >= 7:
        return word[:-3]
    return word


_RUN = re.compile(r"(.)\1+")
_LONG_RUN = re.compile(r"(.)\1{2,}")


def squeeze(word: str, vocab: Collection[str] = ()) -> str:
    """Undo stretched letters ("bisaaa" -> "bisa") while keeping real doubles ("maaf")."""
    def known(w: str) -> bool:
        return w in vocab or w in STOPWORDS or _known(w) or _known(stem(w))

    if not _RUN.search(word) or known(word):
        return word
    single = _RUN.sub(r"\1", word)
    double = _LONG_RUN.sub(r"\1\1", word)
    for cand in (single, double):
        # Two-letter results would be slang abbreviations ("tpp" is not "tp").
        if len(cand) > 2 and known(cand):
            return cand
    # Unknown either way: three or more of a letter is stretching, two may be real.
    return single if double != word else word


# Fixed phrases, matched on normalised words: greetings lose their time of day (so "pagi" in
# them is not read as the morning menu) and common multi-word names get one word.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{a}\b"), b)
    for a, b in (
        ("selamat (pagi|siang|sore|malam)", "selamat"),
        ("terima kasih", "terimakasih"),
        ("jam pelajaran", "jp"),
        ("daftar hadir", "hadir"),
        ("tanggal merah", "libur"),
    )
)

_REDUP = re.compile(r"\b([a-z]{2,})2\b")
_DIGIT_EDGE = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _expand(token: str) -> list[str]:
    return SLANG.get(token, token).split()


def normalize(text: str, vocab: Collection[str] = ()) -> str:
    """Return `text` as normalised words: lower case, no punctuation/emoji, slang expanded, stemmed.

    `vocab` holds extra known words (a knowledge base's own) that stretched-letter repair
    may settle on. Stopwords are kept; matching drops them.
    """
    text = _ascii_lower(text).replace("'", "").replace("’", "").replace("`", "")
    text = text.replace("-nya", "nya")  # "link-nya" is one word
    text = _REDUP.sub(r"\1", text)  # "apa2" -> "apa": chat shorthand for reduplication
    text = _NON_WORD.sub(" ", text)
    text = _DIGIT_EDGE.sub(" ", text)
    out: list[str] = []
    for raw in text.split():
        if len(raw) == 1 and not raw.isdigit():
            continue
        for word in _expand(squeeze(raw, vocab)):
            for final in _expand(stem(word)):
                out.append(final)
    joined = " ".join(out)
    for pattern, replacement in _PHRASES:
        joined = pattern.sub(replacement, joined)
    words = joined.split()
    # "beda beda" -> "beda": reduplication adds nothing for matching.
    return " ".join(w for i, w in enumerate(words) if i == 0 or words[i - 1] != w)

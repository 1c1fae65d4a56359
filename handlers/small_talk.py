"""Small talk answered like a polite person: thanks, salam, greetings, "ok", 👍 and 🙏."""

from __future__ import annotations

import re
import unicodedata

from core.text import esc
from core.types import Reply
from handlers.faq_normalize import normalize, words_of
from handlers.router import Context, Replies, Router

__all__ = ["router", "small_talk"]

router = Router("small-talk")

_SALAM = re.compile(r"\b(as+alamu?\W*[ae]?laikum|as+alam|asw|askum|ass)\b")
_TIME_OF_DAY = re.compile(r"\b(?:selamat|slmt|met|sugeng)\s+(pagi|siang|sore|malam|enjing|"
                          r"sonten|dalu)\b")
_IN_KIND = {"enjing": "pagi", "sonten": "sore", "dalu": "malam"}
_THANKS = words_of("terimakasih thanks thank suwun nuwun matur tengkyu makasi")
_OK = words_of("ok oke okay okey okeh siap sip baik noted oce okee siyap mantap mantab")
_HELLO = words_of("halo hai hi hallo helo hei hey permisi pagi siang sore malam selamat")
_LAUGH = re.compile(r"^(w?k+w+k+[wk]*|h[aeiu]h[aeiu][haeiu]*|xi+x+|😂|🤣)+$")
# Words that may come with small talk without making it a question.
_POLITE = words_of(
    """
    min mimin kak pak bu bapak ibu mas mbak ya yo iya nggih njih banyak sekali semua you so
    much bpsdm admin wr wb warahmatullahi wabarakatuh salam sehat selalu dan juga atas
    info informasi nya sudah dah kasih sama sama sama2 pagi siang sore malam selamat sugeng
    enjing sonten dalu
    """
)


def _emoji_only(text: str) -> bool:
    """Only emoji (👍, 🙏, 😊…), no letters or digits."""
    stripped = [c for c in text if not c.isspace()]
    return bool(stripped) and all(
        unicodedata.category(c) in ("So", "Sk", "Mn", "Cf") or c in "\ufe0f\u200d"
        for c in stripped
    ) and any(unicodedata.category(c) == "So" for c in stripped)


def _name(ctx: Context) -> str:
    return esc(ctx.person.full_name) if ctx.person.registered and ctx.person.full_name \
        else "Bapak/Ibu"


def _offer(ctx: Context) -> str:
    if not ctx.person.registered:
        return "Ada yang bisa kami bantu? Untuk mendaftar, ketik /mulai; perintah lain: /bantuan."
    return "Ada yang bisa kami bantu? Ketik pertanyaan Bapak/Ibu, atau /bantuan."


def small_talk(ctx: Context, text: str) -> Reply | None:
    """The reply to a message that is only small talk, or None."""
    lowered = text.lower()
    if _emoji_only(text):
        return Reply("🙏" if "🙏" in text else "👍")
    words = normalize(text).split()
    if not words:
        return None
    if _LAUGH.match("".join(words)):
        return Reply("😊")
    rest = [w for w in words if w not in _POLITE | _THANKS | _OK | _HELLO]
    if "nuwun" in words:
        rest = [w for w in rest if w != "atur"]  # "matur nuwun", stemmed
    salam = _SALAM.search(lowered)
    if salam is not None:
        rest = [w for w in rest if not _SALAM.fullmatch(w) and w not in ("alaikum", "laikum")]
    if rest:
        return None  # a question comes with it: the answering path takes it
    if salam is not None:
        return Reply(f"Wa'alaikumsalam warahmatullahi wabarakatuh, {_name(ctx)}. 🙏\n"
                     + _offer(ctx))
    if _THANKS & set(words):
        return Reply(f"Sama-sama, {_name(ctx)}. 🙏 Semoga bermanfaat.")
    greeting = _TIME_OF_DAY.search(lowered)
    if greeting is not None:
        part = _IN_KIND.get(greeting.group(1), greeting.group(1))
        return Reply(f"Selamat {part}, {_name(ctx)}! ☕\n" + _offer(ctx))
    if _HELLO & set(words):
        return Reply(f"Halo, {_name(ctx)}! ☕\n" + _offer(ctx))
    if _OK & set(words):
        return Reply("Baik, terima kasih. 🙏")
    return None


@router.fallback()
async def polite(ctx: Context) -> Replies:
    """Free text that is only small talk."""
    return small_talk(ctx, (ctx.incoming.text or "").strip())

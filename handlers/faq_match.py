"""Match a chat question to FAQ entries: one clear answer, a few candidates, or nothing."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from core.text import MAX_INPUT
from handlers.faq_entries import (
    FaqEntry,
    FaqFormatError,
    default_entries,
    dump_entries,
    load_entries,
)
from handlers.faq_normalize import LIGHT, NEUTRAL, STOPWORDS, normalize, words_of

__all__ = [
    "FaqEntry",
    "FaqFormatError",
    "FaqIndex",
    "MatchResult",
    "Tuning",
    "default_entries",
    "dump_entries",
    "load_entries",
]

Kind = Literal["single", "several", "none"]

_WORD = re.compile(r"[a-z]+")

# Messages made only of these words are greetings or thanks, not questions.
_GREETING = words_of(
    """
    halo hai hi hallo helo hei hey selamat assalamualaikum salam pagi siang sore malam
    terimakasih kasih ok oke okay siap sip baik min kak pak bu mas mbak permisi mohon maaf
    waalaikumsalam wassalam wr wb warahmatullahi wabarakatuh banyak ya
    """
)


@dataclass(frozen=True)
class MatchResult:
    """What the FAQ makes of a message.

    kind "single": answer with entry `ids[0]`; "several": offer `ids` (1 to 3) as buttons;
    "none": the FAQ does not know (hand over to a person, e.g. /tanya). `greeting` is set
    when the message was only a greeting or thanks (kind is then "none").
    """

    kind: Kind
    ids: tuple[str, ...] = ()
    score: float = 0.0
    greeting: bool = False

    @property
    def entry_id(self) -> str | None:
        """The entry to answer with, for a clear single match."""
        return self.ids[0] if self.kind == "single" else None


@dataclass(frozen=True)
class Tuning:
    """Weights and thresholds of the matcher (values measured on tests/data/faq_eval.yaml)."""

    light: float = 0.5  # weight factor of question words and common verbs
    unknown: float = 1.2  # weight of a word no entry knows, as a share of the rarest word's
    coverage: float = 0.6  # share of the score: how much of the message an entry explains
    similarity: float = 0.25  # share: closeness to the entry's best single phrasing
    keywords: float = 0.15  # share: how much of the message the entry's keywords explain
    single: float = 0.4  # a score from here, ahead by `margin`, is a clear answer
    margin: float = 0.03
    floor: float = 0.4  # below this, no match at all
    vague: float = 0.8  # score needed to answer a message of question words only
    spread: float = 0.12  # candidates within this of the best are offered
    typo: float = 82.0  # rapidfuzz ratio from which an unknown word is read as a known one


@dataclass(frozen=True)
class _Doc:
    entry: FaqEntry
    variants: list[frozenset[str]] = field(default_factory=list)
    keywords: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()


class FaqIndex:
    """Entries prepared for matching; build once, match many times."""

    def __init__(self, entries: Sequence[FaqEntry], tuning: Tuning | None = None) -> None:
        if not entries:
            raise ValueError("an FAQ index needs at least one entry")
        self.tuning = tuning or Tuning()
        self._entries = {e.id: e for e in entries}
        self._docs: list[_Doc] = []
        for e in entries:
            variants = [frozenset(self._content(t)) for t in (e.question, *e.phrasings)]
            keywords = frozenset(w for k in e.keywords for w in self._content(k))
            words = frozenset().union(*variants, keywords)
            self._docs.append(_Doc(e, [v for v in variants if v], keywords, words))
        df = Counter(w for d in self._docs for w in d.words)
        n = len(self._docs)
        self._idf = {w: math.log((n + 1) / c) for w, c in df.items()}
        self._rarest = math.log(n + 1)
        self._vocab = sorted(df)
        # The entries' own spellings, so stretched-letter repair can settle on them.
        texts = (t for e in entries for t in (e.question, *e.phrasings, *e.keywords))
        self._surface = frozenset(w for t in texts for w in _WORD.findall(t.lower()))

    @staticmethod
    def _content(text: str) -> list[str]:
        return [w for w in normalize(text).split() if w not in STOPWORDS]

    def entry(self, entry_id: str) -> FaqEntry:
        """The entry with this id (KeyError if none)."""
        return self._entries[entry_id]

    @property
    def entries(self) -> list[FaqEntry]:
        """All entries, in file order."""
        return [d.entry for d in self._docs]

    def _correct(self, word: str) -> str:
        """A known word for an unknown one that looks like a typo of it ("sertifkat")."""
        if word in self._idf or len(word) < 4 or word.isdigit():
            return word
        best = process.extractOne(word, self._vocab, scorer=fuzz.ratio,
                                  score_cutoff=self.tuning.typo)
        if best is None or best[0][0] != word[0]:
            return word
        return str(best[0])

    def _weight(self, word: str) -> float:
        t = self.tuning
        light = t.light if word in LIGHT else 1.0
        if word not in self._idf:
            # A word no entry knows is evidence that the message is about something else.
            return t.unknown * self._rarest * light * (0.5 if word.isdigit() else 1.0)
        return self._idf[word] * light

    def _words(self, text: str) -> list[str]:
        return normalize(text[:MAX_INPUT], self._surface).split()

    def _query(self, words: list[str]) -> list[str]:
        """The message's content words: typos read as known words, place names dropped."""
        content = [self._correct(w) for w in words if w not in STOPWORDS]
        return list(dict.fromkeys(w for w in content if w in self._idf or w not in NEUTRAL))

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every entry that shares a word with `text`, with its score, best first."""
        return self._rank(self._query(self._words(text)))

    def _rank(self, words: list[str]) -> list[tuple[str, float]]:
        weights = {w: self._weight(w) for w in words}
        total = sum(weights.values())
        if total <= 0:
            return []
        t = self.tuning
        query = frozenset(words)
        scored: list[tuple[str, float]] = []
        for d in self._docs:
            # How much of the message the entry explains; unknown words count against it.
            coverage = sum(weights[w] for w in query & d.words) / total
            if coverage == 0:
                continue
            keyword = sum(weights[w] for w in query & d.keywords) / total
            # Weighted Jaccard against the closest single phrasing.
            similarity = max(
                (
                    sum(weights[w] for w in query & v)
                    / sum(weights[w] if w in weights else self._weight(w) for w in query | v)
                    for v in d.variants
                ),
                default=0.0,
            )
            score = t.coverage * coverage + t.similarity * similarity + t.keywords * keyword
            scored.append((d.entry.id, round(score, 4)))
        scored.sort(key=lambda p: -p[1])
        return scored

    def match(self, text: str) -> MatchResult:
        """Decide what to answer to `text`: a single entry, a few candidates, or none."""
        plain = self._words(text)
        if not plain or all(w in _GREETING for w in plain):
            return MatchResult("none", greeting=bool(plain))
        words = self._query(plain)
        ranked = self._rank(words)
        t = self.tuning
        if not ranked or ranked[0][1] < t.floor:
            return MatchResult("none", score=ranked[0][1] if ranked else 0.0)
        best_id, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        # Question words alone ("caranya gimana?") are too vague to answer outright,
        # unless they are almost exactly one of the phrasings ("siapa saja yang boleh ikut?").
        vague = all(w in LIGHT for w in words) and best < t.vague
        if best >= t.single and best - second >= t.margin and not vague:
            return MatchResult("single", (best_id,), best)
        close = [i for i, s in ranked[:3] if s >= best - t.spread]
        return MatchResult("several", tuple(close), best)

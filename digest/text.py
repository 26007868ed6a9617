"""Text normalisation for matching, with a map back to the original offsets.

`fold` applies, character by character: NFKC, case folding, removal of accents and other combining
marks (French accents, Arabic tashkeel), removal of tatweel and invisible format characters,
Arabic letter folding (alef forms to bare alef, alef maqsura to ya, ta marbuta to ha, hamza
carriers to their base letter), Eastern Arabic and Persian digits to ASCII, and typographic
apostrophes and dashes to ASCII. Every folded character remembers the index of the original
character it came from, so a match in the folded text maps back to a span of the original.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter

_ARABIC_LETTERS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ک": "ك",
    "ی": "ي",
    "ـ": "",
}
_PUNCTUATION = {"’": "'", "‘": "'", "ʼ": "'", "`": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"}
_DIGITS = {chr(base + d): str(d) for base in (0x0660, 0x06F0) for d in range(10)}
_DIRECT = _ARABIC_LETTERS | _PUNCTUATION | _DIGITS


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """The folded form of one character (possibly empty, possibly several characters)."""
    if char in _DIRECT:
        return _DIRECT[char]
    if char.isascii():
        return char.lower()
    out = []
    for part in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", char).casefold()):
        if part in _DIRECT:
            out.append(_DIRECT[part])
        elif unicodedata.category(part) not in ("Mn", "Me", "Cf"):
            out.append(part)
    return unicodedata.normalize("NFC", "".join(out))


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text and the way back to the original. `origin[i]` is the index of the original
    character that folded character i came from. Cheaper forms for the common cases: when every
    character folded to exactly one, both are None and offsets are the same; when some were only
    removed (tashkeel, tatweel, invisible marks), `segments` lists (folded start, original start)
    of the runs in between."""

    text: str
    origin: tuple[int, ...] | None
    original_length: int
    segments: tuple[tuple[int, int], ...] | None = None

    def original_index(self, index: int) -> int:
        if index >= len(self.text):
            return self.original_length
        if self.segments is not None:
            folded_start, original_start = self.segments[
                bisect_right(self.segments, (index, self.original_length)) - 1
            ]
            return original_start + index - folded_start
        if self.origin is None:
            return index
        return self.origin[index]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) covering folded [start, end)."""
        if self.origin is None and self.segments is None and start < end <= len(self.text):
            return start, end
        if end <= start:
            point = self.original_index(start)
            return point, point
        return self.original_index(start), self.original_index(end - 1) + 1

    def folded_length(self, original_end: int) -> int:
        """The length of the folded text of original[:original_end]."""
        if self.segments is not None:
            run = bisect_left(self.segments, original_end, key=itemgetter(1)) - 1
            if run < 0:
                return 0
            folded_start, original_start = self.segments[run]
            following = (
                self.segments[run + 1][0] if run + 1 < len(self.segments) else len(self.text)
            )
            return folded_start + min(original_end - original_start, following - folded_start)
        if self.origin is None:
            return min(original_end, len(self.text))
        return bisect_left(self.origin, original_end)


def _fold_each(text: str) -> Folded:
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        if folded:
            chars.append(folded)
            origin.extend([index] * len(folded))
    return Folded("".join(chars), tuple(origin), len(text))


# The fast path: the same folding done by C-level string operations, valid for texts whose every
# character folds to exactly one character and is folded the same way by both paths. Which
# characters qualify is worked out once, at import, over the scripts of the region's news.
_FAST_MARKS = [
    *range(0x0300, 0x0370),
    *range(0x0610, 0x061B),
    *range(0x064B, 0x0660),
    0x0670,
    *range(0x06D6, 0x06EE),
]
_FAST_RANGES = (
    (0x00, 0x24F),
    (0x0600, 0x06FF),
    (0x2000, 0x2BFF),
    (0x1F000, 0x1FAFF),
)


def _char_class(codes: list[int]) -> str:
    runs: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            last = "-" + re.escape(chr(previous)) if previous > start else ""
            runs.append(re.escape(chr(start)) + last)
            start = code
        previous = code
    return "".join(runs)


# Letters and digits replaced one for one (no target is itself replaced), combining marks removed
# after NFD. str.translate would do both in one call, but it looks every character of a non-ASCII
# text up in a dict: x4 slower than a regex pass and a replace per letter present.
_FAST_LETTERS = {
    source: target
    for source, target in [*_DIRECT.items(), ("\xa0", " "), ("\u202f", " "), ("\u2009", " ")]
    if len(source) == 1 and len(target) == 1 and not unicodedata.combining(source)
}
_FAST_LETTER = re.compile("[" + _char_class(sorted(map(ord, _FAST_LETTERS))) + "]")
_FAST_MARK = re.compile("[" + _char_class(_FAST_MARKS) + "]")


def _fold_fast(text: str) -> str:
    folded = _FAST_MARK.sub("", unicodedata.normalize("NFD", text.casefold()))
    for letter in set(_FAST_LETTER.findall(folded)):
        folded = folded.replace(letter, _FAST_LETTERS[letter])
    return folded


@cache
def _fast_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Characters the fast path folds right (one to one), and those folding to nothing; worked
    out at the first text that is not ASCII (30 ms: a poll that stores nothing needs none)."""
    safe: list[int] = []
    removed: list[int] = []
    for low, high in _FAST_RANGES:
        for code in range(low, high + 1):
            char = chr(code)
            folded = fold_char(char)
            if not folded:
                removed.append(code)
            elif len(folded) == 1 and _fold_fast(char) == folded:
                safe.append(code)
    unsafe = re.compile("[^" + _char_class(safe) + _char_class(removed) + "]")
    return unsafe, re.compile("[" + _char_class(removed) + "]+")


def fold(text: str) -> Folded:
    if text.isascii():  # of ASCII, only letters change and the backtick
        return Folded(text.lower().replace("`", "'"), None, len(text))
    unsafe, removed = _fast_classes()
    if unsafe.search(text) is not None:
        return _fold_each(text)
    if removed.search(text) is None:
        return Folded(_fold_fast(text), None, len(text))
    pieces: list[str] = []
    segments: list[tuple[int, int]] = []
    kept = position = 0
    for run in removed.finditer(text):
        if run.start() > position:
            segments.append((kept, position))
            pieces.append(text[position : run.start()])
            kept += run.start() - position
        position = run.end()
    if position < len(text):
        segments.append((kept, position))
        pieces.append(text[position:])
    return Folded(_fold_fast("".join(pieces)), None, len(text), tuple(segments))


def whole(text: str) -> str:
    """The text with its lone surrogates replaced: JSON can spell them ("\\ud800") and a
    tolerant feed parser can keep them, but they are not text, and every step after (hashing,
    storing, matching) would fail to encode them."""
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def fold_plain(text: str) -> str:
    """The folded text alone, for patterns and keys."""
    return fold(text).text


def is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"


def word_end(text: str, index: int) -> int:
    """Index just past the word containing text[index - 1]."""
    while index < len(text) and text[index].isalnum():
        index += 1
    return index


def _clitic_prefixes() -> frozenset[str]:
    conjunctions = ("", "و", "ف")
    prepositions = ("", "ب", "ك", "ل")
    prefixes = set()
    for conj in conjunctions:
        for prep in prepositions:
            for article in ("", "ال"):
                prefix = conj + prep + article
                if prep == "ل" and article:
                    prefix = conj + "لل"
                prefixes.add(prefix)
    prefixes.discard("")
    return frozenset(prefixes)


ARABIC_CLITICS = _clitic_prefixes()

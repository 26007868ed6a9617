"""Text normalisation for matching, with a map back to the original offsets.

`fold` applies, character by character: NFKC, case folding, removal of accents and other combining
marks (French accents, Arabic tashkeel), removal of tatweel and invisible format characters,
Arabic letter folding (alef forms to bare alef, alef maqsura to ya, ta marbuta to ha, hamza
carriers to their base letter), Eastern Arabic and Persian digits to ASCII, and typographic
apostrophes and dashes to ASCII. Every folded character remembers the index of the original
character it came from, so a match in the folded text maps back to a span of the original.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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
    """Folded text and, for each of its characters, the index of the original character."""

    text: str
    origin: tuple[int, ...]
    original_length: int

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) covering folded [start, end)."""
        if end <= start:
            point = self.origin[start] if start < len(self.origin) else self.original_length
            return point, point
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str) -> Folded:
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        if folded:
            chars.append(folded)
            origin.extend([index] * len(folded))
    return Folded("".join(chars), tuple(origin), len(text))


def fold_plain(text: str) -> str:
    """The folded text alone, for patterns and keys."""
    return "".join(fold_char(char) for char in text)


def is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"


def is_word_char(char: str) -> bool:
    return char.isalnum()


def word_start(text: str, index: int) -> int:
    """Index of the first character of the word containing text[index]."""
    while index > 0 and is_word_char(text[index - 1]):
        index -= 1
    return index


def word_end(text: str, index: int) -> int:
    """Index just past the word containing text[index - 1]."""
    while index < len(text) and is_word_char(text[index]):
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

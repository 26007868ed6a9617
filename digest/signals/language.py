"""Language detection: the alphabet, then function words, then lingua for what stays unclear.

Arabic script is decided by its alphabet (Persian by its own letters). Latin-script text long
enough to carry several function words is decided by counting English and French ones, which is
both fast and reliable on paragraphs; headlines and anything not clearly English or French go to
lingua, restricted to the languages the region's feeds are written in, which is what makes
short texts reliable.
"""

from __future__ import annotations

import re
from functools import cached_property

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

CANDIDATES = (
    Language.ENGLISH,
    Language.FRENCH,
    Language.ARABIC,
    Language.PERSIAN,
    Language.HEBREW,
    Language.TURKISH,
    Language.GERMAN,
    Language.SPANISH,
    Language.ITALIAN,
    Language.RUSSIAN,
)
MIN_CONFIDENCE = 0.5
LINGUA_CHARS = 400  # lingua reads the start of a long text only
FUNCTION_WORDS_NEEDED = 4  # and twice as many as the other language's

_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3]")
_NOT_ARABIC_LETTER = re.compile(r"[^\u0621-\u064a\u0671-\u06d3]+")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ANY_LETTER = re.compile(r"[^\W\d_]")
_NOT_LATIN_LETTER = re.compile(r"[^A-Za-z\u00c0-\u024f]+")
_PERSIAN_LETTERS = re.compile("[پچژگکی]")
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "was",
        "were",
        "is",
        "are",
        "has",
        "have",
        "had",
        "with",
        "from",
        "that",
        "which",
        "by",
        "said",
        "after",
        "this",
        "their",
        "been",
        "will",
        "would",
        "it",
    ]
)
_FRENCH = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "et",
        "est",
        "une",
        "dans",
        "pour",
        "sur",
        "au",
        "aux",
        "qui",
        "que",
        "par",
        "avec",
        "selon",
        "été",
        "ont",
        "cette",
        "ces",
        "sont",
        "ils",
        "elle",
        "pas",
    ]
)

_FUNCTION_WORDS = _ENGLISH | _FRENCH


class LanguageIdentifier:
    @cached_property
    def _detector(self) -> LanguageDetector:
        return LanguageDetectorBuilder.from_languages(*CANDIDATES).build()

    def detect(self, text: str, hint: str | None = None) -> str:
        """ISO 639-1 code; the hint decides only when the text itself is not conclusive."""
        arabic = _arabic_letters(text)
        # the letters of the two alphabets are distinct, so most Arabic texts need no Latin count
        if arabic and (2 * arabic > len(text) or arabic > _latin_letters(text)):
            return "fa" if len(_PERSIAN_LETTERS.findall(text)) > arabic / 50 else "ar"
        if _LATIN_LETTER.search(text) is None:
            return self._lingua(text, hint) if any(c.isalpha() for c in text) else hint or "und"
        function = list(filter(_FUNCTION_WORDS.__contains__, text.lower().split()))
        english = sum(map(_ENGLISH.__contains__, function))
        french = sum(map(_FRENCH.__contains__, function))
        if english >= FUNCTION_WORDS_NEEDED and english >= 2 * french:
            return "en"
        if french >= FUNCTION_WORDS_NEEDED and french >= 2 * english:
            return "fr"
        return self._lingua(text, hint)

    def _lingua(self, text: str, hint: str | None) -> str:
        """lingua on the start of the text's words (a text may open with a run of figures);
        a tie, which lingua breaks differently from run to run, decides nothing."""
        first = _ANY_LETTER.search(text)
        sample = text[first.start() : first.start() + LINGUA_CHARS] if first else ""
        confidences = self._detector.compute_language_confidence_values(sample)
        best = confidences[0]
        if len(confidences) > 1 and confidences[1].value == best.value:
            return hint or "und"
        if best.value < MIN_CONFIDENCE and hint:
            return hint
        return _iso(best.language.iso_code_639_1)


def _arabic_letters(text: str) -> int:
    if _ARABIC_LETTER.search(text) is None:  # finding none is cheaper than counting
        return 0
    return len(_NOT_ARABIC_LETTER.sub("", text))


def _latin_letters(text: str) -> int:
    return len(_NOT_LATIN_LETTER.sub("", text))


def _iso(code: IsoCode639_1) -> str:
    return str(code.name).lower()

"""Language detection with lingua, restricted to the languages the region's feeds are written in.

Restricting the candidate set is what makes short headlines reliable. Arabic script is decided by
its alphabet alone (lingua separates Arabic from Persian and Urdu when the text has their letters).
"""

from __future__ import annotations

from functools import cached_property

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from digest.text import is_arabic

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
_PERSIAN_LETTERS = frozenset("پچژگکی")
MIN_CONFIDENCE = 0.5


class LanguageIdentifier:
    @cached_property
    def _detector(self) -> LanguageDetector:
        return LanguageDetectorBuilder.from_languages(*CANDIDATES).build()

    def detect(self, text: str, hint: str | None = None) -> str:
        """ISO 639-1 code; the hint decides only when the text itself is not conclusive."""
        letters = [c for c in text if c.isalpha()]
        if not letters:
            return hint or "und"
        arabic = sum(1 for c in letters if is_arabic(c))
        if arabic / len(letters) > 0.5 and not _PERSIAN_LETTERS.intersection(letters):
            return "ar"
        confidences = self._detector.compute_language_confidence_values(text)
        best = confidences[0]
        if best.value < MIN_CONFIDENCE and hint:
            return hint
        return _iso(best.language.iso_code_639_1)


def _iso(code: IsoCode639_1) -> str:
    return str(code.name).lower()

"""Whether an assessed item matches an alert rule, and why.

Words and phrases are looked for in the item's title and text folded as the signal engine folds
them (case, accents, Arabic letter forms), as whole words; an Arabic word also matches after the
clitic prefixes (و ف ب ك ل and the article), so صور finds وصور. `evacuat*` matches every word
it begins. A match returns the reasons: which word of the item, which field.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from functools import cached_property, lru_cache

from digest.alerts.rules import And, Field, Measure, Near, Not, Or, Phrase, Rule, Word
from digest.text import ARABIC_CLITICS, Folded, fold, fold_plain, is_arabic
from digest.types import UNRATED, AssessedItem, Corroboration, Location

_WORD = re.compile(r"\w+")
_CLITIC_MAX = max(len(clitic) for clitic in ARABIC_CLITICS)


class Prepared:
    """An item prepared once for every rule: its folded words, indexed (with, for Arabic, each
    word without its clitics), and their places in the original for the reasons."""

    def __init__(self, entry: AssessedItem, story: Corroboration | None = None) -> None:
        """`story`: the corroboration of the report's story (for sources>=N, tier<=N); unknown,
        the report stands alone: one source, unrated."""
        self.entry = entry
        self.story = story or Corroboration(1, UNRATED.tier)
        self.original = entry.item.analysed_text
        self.folded: Folded = fold(self.original)

    @cached_property
    def _positions(self) -> dict[str, list[int]]:
        """Each form of a word, and the word numbers where it stands."""
        index: dict[str, list[int]] = defaultdict(list)
        for number, word in enumerate(_WORD.findall(self.folded.text)):
            index[word].append(number)
            if is_arabic(word[0]):
                # a clitic leaves at least two letters of the word
                for length in range(1, min(_CLITIC_MAX, len(word) - 2) + 1):
                    if word[:length] in ARABIC_CLITICS:
                        index[word[length:]].append(number)
        return index

    @cached_property
    def _spans(self) -> list[tuple[int, int]]:
        return [match.span() for match in _WORD.finditer(self.folded.text)]

    @cached_property
    def _forms(self) -> list[str]:
        return sorted(self._positions)

    def where(self, term: str, prefix: bool) -> list[int]:
        """Word numbers of the word `term` (or, with `prefix`, of every word it begins)."""
        if not prefix:
            return self._positions.get(term, [])
        found: set[int] = set()
        for form in self._forms[bisect_left(self._forms, term) :]:
            if not form.startswith(term):
                break
            found.update(self._positions[form])
        return sorted(found)

    def shown(self, first: int, last: int) -> str:
        """The original text from word number `first` to word number `last`."""
        start, end = self.folded.original_span(self._spans[first][0], self._spans[last][1])
        return self.original[start:end]


def matches(rule: Rule, entry: AssessedItem | Prepared) -> list[str] | None:
    """The reasons the item matches the rule, or None when it does not. Prepare an item once
    (`Prepared(entry)`) to match it against many rules."""
    return _evaluate(rule, entry if isinstance(entry, Prepared) else Prepared(entry))


def _evaluate(rule: Rule, item: Prepared) -> list[str] | None:
    if isinstance(rule, Or):
        for part in rule.rules:
            found = _evaluate(part, item)
            if found is not None:
                return found
        return None
    if isinstance(rule, And):
        reasons: list[str] = []
        for part in rule.rules:
            found = _evaluate(part, item)
            if found is None:
                return None
            reasons += found
        return reasons
    if isinstance(rule, Not):
        return None if _evaluate(rule.rule, item) is not None else []
    if isinstance(rule, Word | Phrase):
        spots = _spots(rule, item)
        if not spots:
            return None
        first, last = spots[0]
        return [f"{rule} in “{item.shown(first, last)}”"]
    if isinstance(rule, Near):
        return _near(rule, item)
    if isinstance(rule, Measure):
        return _measure(rule, item)
    return _field(rule, item.entry)


def _spots(rule: Word | Phrase, item: Prepared) -> list[tuple[int, int]]:
    """(first, last) word numbers of every place the word or phrase occurs."""
    if isinstance(rule, Word):
        return [(i, i) for i in item.where(_folded(rule.text), rule.prefix)]
    words = _WORD.findall(_folded(rule.text))
    if not words:
        return []
    rest = [set(item.where(word, False)) for word in words[1:]]
    return [
        (start, start + len(words) - 1)
        for start in item.where(words[0], False)
        if all(start + k + 1 in places for k, places in enumerate(rest))
    ]


@lru_cache(maxsize=4096)
def _folded(text: str) -> str:
    return fold_plain(text)


def _near(rule: Near, item: Prepared) -> list[str] | None:
    """Both sides, in either order, the second starting at most `distance` words after the end
    of the first (1: side by side)."""
    for left in _spots(rule.left, item):
        for right in _spots(rule.right, item):
            first, last = sorted((left, right))
            if first[1] < last[0] and last[0] - first[1] <= rule.distance:
                shown = item.shown(first[0], last[1])
                return [f"{rule} in “{shown}”"]
    return None


def _measure(rule: Measure, item: Prepared) -> list[str] | None:
    level, said = {
        "severity": (item.entry.assessment.severity, "severity {}"),
        "sources": (item.story.independent, "{} independent sources"),
        "tier": (item.story.best_tier, "best source tier {}"),
    }[rule.name]
    compare = {
        ">=": level >= rule.level,
        "<=": level <= rule.level,
        ">": level > rule.level,
        "<": level < rule.level,
        "=": level == rule.level,
    }[rule.comparison]
    return [said.format(level)] if compare else None


def _inside(location: Location, pcode: str) -> bool:
    """In the governorate or district of this P-code, or the country of this code."""
    codes = (location.admin1_pcode, location.admin2_pcode)
    return pcode in codes or (len(pcode) == 2 and location.country == pcode)


def _field(rule: Field, entry: AssessedItem) -> list[str] | None:
    assessment = entry.assessment
    if rule.name == "category":
        return [f"category {rule.value}"] if rule.value in assessment.categories else None
    if rule.name == "lang":
        return [f"language {rule.value}"] if assessment.lang == rule.value else None
    if rule.name == "source":
        same = fold_plain(entry.item.source).strip() == fold_plain(rule.value).strip()
        return [f"source {entry.item.source}"] if same else None
    if rule.name == "evacuation":
        places = assessment.order.places if assessment.order else ()
        ordered = next((p for p in places if _inside(p, rule.value)), None)
        return [f"evacuation order for {ordered.name} ({rule.value})"] if ordered else None
    for location in assessment.locations:
        if rule.name == "region":
            if _inside(location, rule.value):
                return [f"region {rule.value} ({location.name})"]
        else:
            wanted = fold_plain(rule.value).strip()
            names = (location.name, location.place, location.admin2, location.admin1)
            if any(name and fold_plain(name).strip() == wanted for name in names):
                return [f"place {location.name}"]
    return None

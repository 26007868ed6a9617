"""classify(): language, risk categories, severity and places of one text, with the evidence.

The decisions, in order:
1. Category terms are found on folded text; a term inside an exclusion phrase ("hunger strike")
   is dropped, and so is a term in a sentence written in another register (sport, culture,
   history, economy), where "attack" or "bomb" rarely mean violence.
2. Places are found in the gazetteer; each mention takes the reading consistent with the other
   mentions, else the one in the configured region, else the most populous.
3. The primary place is the one whose mention stands closest to the category evidence, preferring
   the title, precise places over whole countries, and never a person's place of origin.
4. The item is a risk when it has a category and is set in the configured region: a place there,
   or, when no place is named at all, a regional actor (Hezbollah, UNIFIL) or a nationality of
   the region ("Israeli strike").
5. Severity follows digest.signals.severity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from digest.signals.categories import SPECIFICITY
from digest.signals.gazetteer import Gazetteer, Mention, Place, resolve
from digest.signals.language import LanguageIdentifier
from digest.signals.lexicon import GLOBAL, Lexicon, load_lexicon
from digest.signals.matcher import Match, longest_first, overlaps
from digest.signals.severity import severity
from digest.text import Folded, fold, fold_plain
from digest.types import Assessment, Casualties, Evidence, Location

_SENTENCE_END = re.compile(r"[.!?؟\n]+")
_NUMBER = re.compile(r"\d+")
_ORIGIN_CUES = tuple(
    fold_plain(cue)
    for cue in (
        "from",
        "native of",
        "resident of",
        "residents of",
        "born in",
        "originally from",
        "originaire de",
        "natif de",
        "habitant de",
        "من أبناء",
        "ابن بلدة",
        "من بلدة",
        "ابن مدينة",
    )
)
ORIGIN_PENALTY = 1000
TITLE_BONUS = 60
PRECISION_BIAS = {"locality": 0, "admin2": 15, "admin1": 30, "country": 400}
CASUALTY_WINDOW = 4  # words either side of a casualty word where its number may stand


@dataclass(frozen=True, slots=True)
class Text:
    id: str
    title: str
    text: str
    lang_hint: str | None = None

    @property
    def analysed(self) -> str:
        return f"{self.title}\n{self.text}"


@dataclass(frozen=True, slots=True)
class Explained:
    assessment: Assessment
    notes: tuple[str, ...]


class Classifier:
    def __init__(
        self,
        lexicon: Lexicon,
        gazetteer: Gazetteer,
        countries: Iterable[str],
        languages: LanguageIdentifier | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.gazetteer = gazetteer
        self.scope = frozenset(countries)
        self.languages = languages or LanguageIdentifier()

    @classmethod
    def default(
        cls,
        countries: Iterable[str] = ("LB", "SY", "IL", "PS", "JO", "IQ", "CY"),
        extra_terms: dict[str, list[str]] | None = None,
        exclude: Iterable[str] = (),
    ) -> Classifier:
        return cls(load_lexicon(extra_terms, exclude), Gazetteer.load(), countries)

    def in_scope(self, country: str | None) -> bool:
        return "*" in self.scope or country in self.scope

    def classify(self, item: Text) -> Explained:
        original = item.analysed
        folded = fold(original)
        title_end = len(fold_plain(item.title))
        lang = self.languages.detect(original, item.lang_hint)
        notes: list[str] = []
        evidence: list[Evidence] = []

        terms, vetoed = self._category_matches(folded)
        for match in vetoed:
            evidence.append(_evidence("exclusion", match.payloads[0], folded, original, match))
        categories = _rank_categories(terms, title_end)

        places = resolve(self.gazetteer.mentions(folded, original), self.scope)
        ordered = _order_places(places, terms, folded.text, title_end)
        locations = _distinct_locations(ordered)
        for mention, place in ordered:
            code = place.pcode or place.country
            evidence.append(_evidence("location", code, folded, original, mention))

        in_region = any(self.in_scope(loc.country) for loc in locations)
        if not locations:
            actors = self.lexicon.actors.find(folded) + [
                hit
                for hit in self.gazetteer.nationalities(folded)
                if any(self.in_scope(country) for country in hit.payloads)
            ]
            in_region = bool(actors)
            for hit in sorted(actors, key=lambda h: h.start)[:3]:
                evidence.append(_evidence("actor", hit.payloads[0], folded, original, hit))

        casualties = self._casualties(folded)
        risk = bool(categories) and in_region
        if categories and not in_region:
            outside = ", ".join(sorted({loc.name for loc in locations})) or "no place named"
            notes.append(
                f"categories {', '.join(categories)} found, but not in the region ({outside})"
            )
        if not categories:
            notes.append("no risk category term found")
        if risk:
            for match in terms:
                for code in match.payloads:
                    if code in categories:
                        evidence.append(_evidence("category", code, folded, original, match))
                        break
            if casualties.killed or casualties.injured:
                notes.append(
                    f"casualties: {casualties.killed} killed, {casualties.injured} injured"
                )
        else:
            categories = ()
        level = severity(categories, casualties) if risk else 0
        evidence.sort(key=lambda e: (e.start, e.kind))
        assessment = Assessment(
            item_id=item.id,
            lang=lang,
            risk=risk,
            severity=level,
            categories=categories,
            locations=tuple(locations),
            evidence=tuple(evidence),
            casualties=casualties if risk else Casualties(),
        )
        return Explained(assessment, tuple(notes))

    def _category_matches(self, folded: Folded) -> tuple[list[Match[str]], list[Match[str]]]:
        terms = self.lexicon.terms.find(folded)
        excludes = self.lexicon.excludes.find(folded)
        kept: list[Match[str]] = []
        vetoed: list[Match[str]] = []
        registers = self._register_sentences(folded)
        for match in terms:
            blocking = [
                x
                for x in excludes
                if overlaps(match, [(x.start, x.end)])
                and (GLOBAL in x.payloads or set(x.payloads) & set(match.payloads))
            ]
            if blocking:
                vetoed.append(blocking[0])
            elif not overlaps(match, registers):
                kept.append(match)
        return longest_first(kept), longest_first(vetoed)

    def _register_sentences(self, folded: Folded) -> list[tuple[int, int]]:
        """Spans of the sentences that contain a sport, culture, history or economy marker."""
        hits = self.lexicon.context.find(folded)
        if not hits:
            return []
        spans = []
        start = 0
        for end_match in [*_SENTENCE_END.finditer(folded.text), None]:
            end = end_match.start() if end_match else len(folded.text)
            if any(start <= h.start < end for h in hits):
                spans.append((start, end))
            start = end_match.end() if end_match else end
        return spans

    def _casualties(self, folded: Folded) -> Casualties:
        """For each casualty word, the nearest number within CASUALTY_WINDOW words (before it
        first, as in "three killed"); the largest such count per kind."""
        text = folded.text
        words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\w+", text)]
        counts = {"killed": 0, "injured": 0}
        hits = self.lexicon.casualties.find(folded)
        idioms = [(h.start, h.end) for h in hits if "exclude" in h.payloads]
        for hit in hits:
            kind = hit.payloads[0]
            if kind not in counts or overlaps(hit, idioms):
                continue
            first = next((i for i, w in enumerate(words) if w[0] >= hit.start), len(words))
            last = next((i for i, w in enumerate(words) if w[1] >= hit.end), first)
            for distance in range(1, CASUALTY_WINDOW + 1):
                value = None
                for index in (first - distance, last + distance):
                    if 0 <= index < len(words) and value is None:
                        value = self._number(text, *words[index])
                if value is not None:
                    break
            if value is None:
                value = self.lexicon.implied_counts.get(text[hit.start : hit.end])
            if value is not None:
                counts[kind] = max(counts[kind], value)
        return Casualties(killed=counts["killed"], injured=counts["injured"])

    def _number(self, text: str, start: int, end: int, word: str) -> int | None:
        if _NUMBER.fullmatch(word):
            clock = text[start - 1 : start] == ":" or text[end : end + 1] == ":"
            return None if clock or int(word) >= 10_000 else int(word)
        return self.lexicon.numbers.get(word)


def _rank_categories(terms: list[Match[str]], title_end: int) -> tuple[str, ...]:
    scores: dict[str, tuple[int, int]] = {}
    for match in terms:
        for code in match.payloads:
            weight = 2 if match.start < title_end else 1
            count, first = scores.get(code, (0, match.start))
            scores[code] = (count + weight, min(first, match.start))
    order = sorted(
        scores, key=lambda c: (-min(scores[c][0], 2), SPECIFICITY.index(c), scores[c][1])
    )
    return tuple(order)


def _order_places(
    places: list[tuple[Mention, Place]], terms: list[Match[str]], text: str, title_end: int
) -> list[tuple[Mention, Place]]:
    def score(entry: tuple[Mention, Place]) -> tuple[float, int]:
        mention, place = entry
        if terms:
            distance = min(max(0, t.start - mention.end, mention.start - t.end) for t in terms)
        else:
            distance = mention.start
        value = float(distance) + PRECISION_BIAS[place.level]
        if mention.start < title_end:
            value -= TITLE_BONUS
        before = text[max(0, mention.start - 20) : mention.start].rstrip()
        if before.endswith(_ORIGIN_CUES):
            value += ORIGIN_PENALTY
        return value, mention.start

    return sorted(places, key=score)


def _distinct_locations(ordered: list[tuple[Mention, Place]]) -> list[Location]:
    seen: set[str] = set()
    locations = []
    for _, place in ordered:
        if place.id not in seen:
            seen.add(place.id)
            locations.append(place.location())
    return locations


def _evidence(
    kind: str, code: str, folded: Folded, original: str, match: Match[str] | Match[Place] | Mention
) -> Evidence:
    start, end = folded.original_span(match.start, match.end)
    return Evidence(kind=kind, code=code, text=original[start:end], start=start, end=end)  # type: ignore[arg-type]

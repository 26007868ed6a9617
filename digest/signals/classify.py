"""classify(): language, risk categories, severity and places of one text, with the evidence.

The decisions, in order:
1. Category terms are found on folded text; a term inside an exclusion phrase ("hunger strike")
   is dropped, and so is a term in a sentence written in another register (sport, culture,
   history, economy), where "attack" or "bomb" rarely mean violence.
2. Places are found in the gazetteer; each mention takes the reading consistent with the other
   mentions, else the one in the configured region, else the most populous.
3. The primary place is the one whose mention stands closest to the category evidence, preferring
   the title, precise places over whole countries, and never a person's place of origin.
4. The item is a risk when it has a category and is set in the configured region: its primary
   place is there (a dateline such as "BEIRUT (Reuters) -" is where the report was filed, not a
   place of the event), or mentions of the region (places, regional actors such as Hezbollah or
   UNIFIL, nationalities such as "Israeli") outnumber those of elsewhere at least twice over; the
   primary place is then the best-ranked place in the region.
5. Severity follows digest.signals.severity.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from typing import Any

from digest.config import SignalsConfig
from digest.signals.categories import SPECIFICITY
from digest.signals.gazetteer import Gazetteer, Mention, Place, resolve
from digest.signals.language import LanguageIdentifier
from digest.signals.lexicon import GLOBAL, Lexicon, NearSide, load_lexicon
from digest.signals.matcher import Match, MultiMatcher, S, Span, longest_first, overlaps
from digest.signals.severity import severity
from digest.text import Folded, fold, fold_plain
from digest.types import Assessment, Casualties, Evidence, EvidenceKind, Location

_SENTENCE_END = re.compile(r"[.!?؟\n]+")
_NUMBER = re.compile(r"\d+")
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+(?!\d)")
_NOT_DIGIT = re.compile(r"\D")
_WORD = re.compile(r"\w+")
_DATELINE_TAIL = re.compile(r"[^\n()]{0,45}?\([^()\n]{1,30}\)\s*(?:-|--|:)")
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
TITLE_WEIGHT = 2.0
NEAR_WEIGHT = 2.0
NEAR_CHARS = 150  # beyond this distance from category evidence a mention gets no nearness weight
PRECISION_FACTOR = {"locality": 1.0, "admin2": 0.9, "admin1": 0.8, "country": 0.3}
REGION_MAJORITY = 2  # in-region mentions must outnumber the others this many times
_NOT_TARGET_CUES = frozenset(
    fold_plain(word)
    for word in "to into according said says selon par vers à au aux الى بحسب وفق حسب لدى".split()
)
_NEGATIONS = frozenset(
    fold_plain(w)
    for w in "no not nobody none without never aucun aucune sans pas personne".split()
    + "لا لم دون بدون عدم".split()
)
_MONTHS = frozenset(
    fold_plain(w)
    for w in (
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec "
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
        "يناير فبراير مارس ابريل أبريل مايو يونيو يوليو اغسطس أغسطس سبتمبر اكتوبر أكتوبر نوفمبر "
        "ديسمبر كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين"
    ).split()
)
_AGE_WORDS = frozenset(
    fold_plain(w) for w in "year years old aged age ans âgé âgée عاما عام سنة سنوات العمر".split()
)
MAX_CHARS = 20_000  # a feed item longer than this is read up to here (time grows with length)
WORDS_AROUND_CHARS = 120  # enough for CASUALTY_WINDOW words and the negation before
CASUALTY_WINDOW = 4  # words either side of a casualty word where its number may stand
TARGET_WINDOW = 4  # words between a target and the incident it was hit by


@dataclass(frozen=True, slots=True)
class Text:
    id: str
    title: str
    text: str
    lang_hint: str | None = None

    @property
    def analysed(self) -> str:
        return f"{self.title}\n{self.text}"


Found = dict[str, list[Match[Any]]]


@dataclass(frozen=True, slots=True)
class _Scan:
    """What one reading of a text found, shared by the steps that weigh it."""

    folded: Folded
    original: str
    found: Found
    terms: list[Match[str]]
    casualty_hits: list[Match[str]]

    @property
    def casualty_spans(self) -> list[Match[str]]:
        return [h for h in self.casualty_hits if "exclude" not in h.payloads][:3]


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
        self._matcher = MultiMatcher(
            {
                **lexicon.kinds(),
                "places": gazetteer.name_entries,
                "demonyms": gazetteer.demonym_entries,
            }
        )
        self.scope = frozenset(countries)
        self.languages = languages or LanguageIdentifier()

    @classmethod
    def from_signals(
        cls, signals: SignalsConfig | None = None, gazetteer: Gazetteer | None = None
    ) -> Classifier:
        """The classifier a configuration's [signals] asks for (the defaults without one)."""
        signals = signals or SignalsConfig()
        lexicon = load_lexicon(signals.extra_terms, signals.exclude)
        return cls(lexicon, gazetteer or Gazetteer.load(), signals.countries)

    def in_scope(self, country: str | None) -> bool:
        return "*" in self.scope or country in self.scope

    def classify(self, item: Text) -> Explained:
        notes: list[str] = []
        original = item.analysed
        if len(original) > MAX_CHARS:
            original = original[:MAX_CHARS]
            notes.append(f"only the first {MAX_CHARS:,} characters were read")
        folded = fold(original)
        found = self._matcher.find(folded)
        title_end = folded.folded_length(len(item.title))
        lang = self.languages.detect(original, item.lang_hint)
        evidence: list[Evidence] = []

        terms, vetoed = self._category_matches(folded, found)
        for match in vetoed:
            evidence.append(_evidence("exclusion", match.payloads[0], folded, original, match))
        categories = _rank_categories(terms, title_end)

        mentions = [
            m
            for m in self.gazetteer.mentions(found["places"], folded, original)
            if not _dateline(m, folded)
        ]
        places = resolve(mentions, self.scope)
        ordered = _order_places(places, terms, folded.text, title_end)
        locations = _distinct_locations(ordered)
        lead = ordered[0][1] if ordered else None
        if lead and lead.admin2_inferred and locations[0].admin2_pcode == lead.admin2_pcode:
            notes.append(f"district of {lead.name} inferred from its neighbouring localities")
        for mention, place in ordered:
            code = place.pcode or place.country
            evidence.append(_evidence("location", code, folded, original, mention))

        in_region = bool(locations) and self.in_scope(locations[0].country)
        if not in_region:
            actors = found["actors"] + [
                hit
                for hit in found["demonyms"]
                if any(self.in_scope(country) for country in hit.payloads)
            ]
            inside = sum(self.in_scope(place.country) for _, place in ordered)
            outside = len(ordered) - inside
            support = inside + len(actors)
            in_region = support > 0 and support >= REGION_MAJORITY * outside
            if in_region:
                for hit in sorted(actors, key=lambda h: h.start)[:3]:
                    evidence.append(_evidence("actor", hit.payloads[0], folded, original, hit))
                locations.sort(key=lambda loc: not self.in_scope(loc.country))

        casualty_hits = found["casualties"]
        risk = bool(categories) and in_region
        casualties = self._casualties(folded, casualty_hits) if risk else Casualties()
        if categories and not in_region:
            named = ", ".join(sorted({loc.name for loc in locations})) or "no place named"
            notes.append(
                f"categories {', '.join(categories)} found, but not in the region ({named})"
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
        level = 0
        if risk:
            scan = _Scan(folded, original, found, terms, casualty_hits)
            level = self._severity(scan, categories, casualties, ordered, evidence, notes)
        evidence.sort(key=lambda e: (e.start, e.kind))
        assessment = Assessment(
            item_id=item.id,
            lang=lang,
            risk=risk,
            severity=level,
            categories=categories,
            locations=tuple(locations),
            evidence=tuple(evidence),
            casualties=casualties,
        )
        return Explained(assessment, tuple(notes))

    def _near_matches(self, folded: Folded, found: Found) -> list[Match[str]]:
        """Category matches made of two words of a near rule standing close together."""
        hits: list[Match[NearSide]] = found["near"]
        if not hits:
            return []
        sides: dict[tuple[int, str], list[Match[NearSide]]] = {}
        for hit in hits:
            for payload in hit.payloads:
                sides.setdefault((payload.rule, payload.side), []).append(hit)
        text = folded.text
        pairs: list[tuple[int, int, Match[str]]] = []  # with the places of a and b in their lists
        for number in sorted(number for number, side in sides if side == "a"):
            rule = self.lexicon.near_rules[number]
            bs = sides.get((number, "b"), [])
            order = {id(b): place for place, b in enumerate(bs)}
            by_start = sorted(bs, key=_start)
            by_end = sorted(bs, key=_end)
            for place, a in enumerate(sides[number, "a"]):
                for first, second in _close_pairs(a, by_end, by_start, text, rule.within):
                    b = second if first is a else first
                    pattern = f"{first.pattern} ~ {second.pattern}"
                    near = Match(first.start, second.end, (rule.category,), pattern)
                    pairs.append((place, order[id(b)], near))
        # in the order of a, then b, as every pair was once tried: the evidence stays the same
        return [near for _, _, near in sorted(pairs, key=lambda found: found[:2])]

    def _category_matches(
        self, folded: Folded, found: Found
    ) -> tuple[list[Match[str]], list[Match[str]]]:
        terms = found["terms"] + self._near_matches(folded, found)
        excludes = found["excludes"]
        kept: list[Match[str]] = []
        vetoed: list[Match[str]] = []
        registers = self._register_sentences(folded, found)
        hedges = found["hedges"]
        hedges_by_end = sorted(hedges, key=_end)
        place = {id(hedge): number for number, hedge in enumerate(hedges)}
        for match in terms:
            # of the hedges shortly before, the first in the order of matches, as when every
            # hedge was tried
            close = (first for first, _ in _close_pairs(match, hedges_by_end, [], folded.text))
            hedge = min(close, key=lambda h: place[id(h)], default=None)
            if hedge is not None:
                vetoed.append(Match(hedge.start, match.end, match.payloads, hedge.pattern))
                continue
            blocking = [
                x
                for x in excludes
                if x.start < match.end
                and match.start < x.end
                and (GLOBAL in x.payloads or set(x.payloads) & set(match.payloads))
            ]
            if blocking:
                vetoed.append(blocking[0])
            elif not registers or not overlaps(match, registers):
                kept.append(match)
        by_category: dict[str, list[Match[str]]] = {}
        for match in kept:
            for code in match.payloads:
                by_category.setdefault(code, []).append(
                    Match(match.start, match.end, (code,), match.pattern)
                )
        # overlapping matches of one category are one signal; of two categories, two signals
        chosen = [m for matches in by_category.values() for m in longest_first(matches)]
        return sorted(chosen, key=lambda m: (m.start, m.end)), longest_first(vetoed)

    def _register_sentences(self, folded: Folded, found: Found) -> list[tuple[int, int]]:
        """Spans of the sentences that contain a sport, culture, history or economy marker."""
        hits = found["context"]
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

    def _severity(
        self,
        scan: _Scan,
        categories: tuple[str, ...],
        casualties: Casualties,
        ordered: list[tuple[Mention, Place]],
        evidence: list[Evidence],
        notes: list[str],
    ) -> int:
        """The level, and an evidence span for every rule that raised it above the base."""
        folded, original = scan.folded, scan.original
        target_hits = self._targets_hit(scan)
        targets = frozenset(code for hit in target_hits for code in hit.payloads)
        population = ordered[0][1].population if ordered else 0
        level, reasons = severity(categories, casualties, targets, population)
        for reason in reasons:
            if reason.rule == "target":
                for hit in target_hits:
                    if set(hit.payloads) & set(reason.detail.split(", ")):
                        evidence.append(
                            _evidence(
                                "severity", f"target:{hit.payloads[0]}", folded, original, hit
                            )
                        )
            elif reason.rule == "populated":
                mention = ordered[0][0]
                evidence.append(
                    _evidence("severity", f"populated:{reason.detail}", folded, original, mention)
                )
            elif reason.rule in ("killed", "injured"):
                for span in scan.casualty_spans:
                    evidence.append(
                        _evidence("severity", f"casualties:{reason.detail}", folded, original, span)
                    )
            else:
                notes.append(f"severity held at {level}: {reason.detail}")
        return level

    def _targets_hit(self, scan: _Scan) -> list[Match[str]]:
        """Targets the incident hit: a target word just after a category term ("strike on an
        ambulance") or just before a word for the killed or injured ("two paramedics killed"),
        in the same sentence; not a source ("civil defence said", "selon la Défense civile") nor
        a destination ("taken to hospital")."""
        hits = scan.found["targets"]
        text = scan.folded.text
        # only the nearest term before and casualty span after can be close enough
        terms = sorted(scan.terms, key=_end)
        casualty_spans = sorted(scan.casualty_spans, key=_start)
        near = []
        for hit in hits:
            preceding = _WORD.findall(text[max(0, hit.start - 30) : hit.start])[-2:]
            if _NOT_TARGET_CUES.intersection(preceding):
                continue
            before = next(_nearest_before(terms, hit.start), None)
            after = next(_nearest_after(casualty_spans, hit.end), None)
            if (before is not None and _shortly_before(before, hit, text, TARGET_WINDOW)) or (
                after is not None and _shortly_before(hit, after, text, TARGET_WINDOW)
            ):
                near.append(hit)
        return near

    def _casualties(self, folded: Folded, hits: list[Match[str]]) -> Casualties:
        """For each casualty word, the nearest number within CASUALTY_WINDOW words (before it
        first, as in "three killed"); the largest such count per kind. Not counts: a casualty
        word after a negation ("no one was killed"), dates ("on March 23", "2024"), ages
        ("a man, 45,", "45-year-old", "٤٥ عاماً") and clock times."""
        text = folded.text
        counts = {"killed": 0, "injured": 0}
        if not hits:
            return Casualties()
        idioms = [(h.start, h.end) for h in hits if "exclude" in h.payloads]
        for hit in hits:
            kind = hit.payloads[0]
            if kind not in counts or (idioms and overlaps(hit, idioms)):
                continue
            # the words around the hit only: a long text is not tokenised for each casualty word
            around = max(0, hit.start - WORDS_AROUND_CHARS)
            words = list(_WORD.finditer(text, around, hit.end + WORDS_AROUND_CHARS))
            first = bisect_left(words, hit.start, key=re.Match.start)
            last = max(first, bisect_left(words, hit.end, key=re.Match.end))
            if _NEGATIONS.intersection(w.group() for w in words[max(0, first - 3) : first]):
                continue
            for distance in range(1, CASUALTY_WINDOW + 1):
                value = None
                for index in (first - distance, last + distance):
                    if 0 <= index < len(words) and value is None:
                        value = self._count(text, words, index)
                if value is not None:
                    break
            if value is None:
                value = self.lexicon.implied_counts.get(text[hit.start : hit.end])
            if value is not None:
                counts[kind] = max(counts[kind], value)
        return Casualties(killed=counts["killed"], injured=counts["injured"])

    def _count(self, text: str, words: list[re.Match[str]], index: int) -> int | None:
        word = words[index].group()
        if word not in self.lexicon.numbers and not _NUMBER.fullmatch(word):
            return None
        start, end = words[index].span()
        neighbours = {w.group() for w in words[max(0, index - 1) : index + 2]} - {word}
        if neighbours & _MONTHS or neighbours & _AGE_WORDS:
            return None
        if _NUMBER.fullmatch(word):
            grouped = _GROUPED.search(text, max(0, start - 24), end)
            if grouped and grouped.end() == end and len(word) == 3:
                # "1 100 morts", "1,100 killed": digit groups are one number (never a year)
                return int(_NOT_DIGIT.sub("", grouped.group()))
            value = int(word)
            clock = text[start - 1 : start] == ":" or text[end : end + 1] == ":"
            aside = text[start - 2 : start] == ", " and text[end : end + 1] == ","
            return None if clock or aside or value >= 1000 else value
        return self.lexicon.numbers.get(word)


def _shortly_before(first: Match[Any], second: Match[Any], text: str, words: int = 3) -> bool:
    """first ends at most `words` words before second starts, in the same sentence."""
    if first.end > second.start:
        return False
    start, end = first.end, second.start  # searched in place: no copy of the gap
    # the words first, and only as many as it takes to know: the gap may be long, and a
    # sentence end is then looked for in a few words only
    if next(islice(_WORD.finditer(text, start, end), words, None), None) is not None:
        return False
    return not _SENTENCE_END.search(text, start, end)


def _nearest_before(spans: list[S], position: int) -> Iterator[S]:
    """The spans (sorted by end) that end at or before `position`, the nearest first."""
    index = bisect_right(spans, position, key=_end)
    return (spans[i] for i in range(index - 1, -1, -1))


def _nearest_after(spans: list[S], position: int) -> Iterator[S]:
    """The spans (sorted by start) that start at or after `position`, the nearest first."""
    return islice(spans, bisect_left(spans, position, key=_start), None)


def _close_pairs(
    span: Match[Any],
    before: list[Match[Any]],
    after: list[Match[Any]],
    text: str,
    words: int = 3,
) -> Iterator[tuple[Match[Any], Match[Any]]]:
    """(first, second) pairs of `span` with those of `after` (sorted by start) shortly after
    it, then with those of `before` (sorted by end) shortly before it: nearest first, and no
    further than the first too far (a farther one has the same gap and more), so that a word
    repeated a thousand times does not make every pair to try, nor every gap to read."""
    for other in _nearest_after(after, span.end):
        if not _shortly_before(span, other, text, words):
            break
        yield span, other
    for other in _nearest_before(before, span.start):
        if not _shortly_before(other, span, text, words):
            break
        yield other, span


def _start(span: Span) -> int:
    return span.start


def _end(span: Span) -> int:
    return span.end


def _dateline(mention: Mention, folded: Folded) -> bool:
    """A place opening a line and followed by an agency credit ("BEIRUT (Reuters) -",
    "دبي، الإمارات (CNN)--") is where the report was filed, not where the event happened."""
    text = folded.text
    line_start = text.rfind("\n", 0, mention.start) + 1
    if mention.start - line_start > 2:
        return False
    return bool(_DATELINE_TAIL.match(text, mention.end))


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
    """Places ranked as the primary place of the event. Each mention of a place adds a weight,
    higher in the title and near category evidence, nothing for a person's place of origin; a
    country counts for less than a place inside it, so "Lebanon" rarely outranks a town."""
    scores: dict[str, float] = {}
    first: dict[str, int] = {}
    starts = [t.start for t in terms]  # terms are in order of start
    ends = sorted(t.end for t in terms)
    for mention, place in places:
        before = text[max(0, mention.start - 20) : mention.start].rstrip()
        weight = 0.0
        if not before.endswith(_ORIGIN_CUES):
            weight = 1.0 + (TITLE_WEIGHT if mention.start < title_end else 0.0)
            if terms:
                distance = _distance(mention, starts, ends)
                weight += NEAR_WEIGHT * max(0.0, 1 - distance / NEAR_CHARS)
        weight *= PRECISION_FACTOR[place.level]
        scores[place.id] = scores.get(place.id, 0.0) + weight
        first[place.id] = min(first.get(place.id, mention.start), mention.start)
    return sorted(places, key=lambda e: (-scores[e[1].id], first[e[1].id], e[0].start))


def _distance(mention: Mention, starts: list[int], ends: list[int]) -> int:
    """Characters between the mention and the nearest of some spans (0 if one overlaps it),
    given their starts and their ends, each sorted."""
    after = bisect_left(starts, mention.end)  # spans from here on start after the mention
    before = bisect_right(ends, mention.start)  # and these end before it
    if before + len(starts) - after < len(starts):
        return 0
    gaps = []
    if after < len(starts):
        gaps.append(starts[after] - mention.end)
    if before:
        gaps.append(mention.start - ends[before - 1])
    return min(gaps)


def _distinct_locations(ordered: list[tuple[Mention, Place]]) -> list[Location]:
    """One location per place; a locality whose district the gazetteer lacks (or only inferred)
    takes the district named beside it in the text when exactly one of its governorate's
    districts is."""
    districts: dict[str, set[tuple[str, str]]] = {}
    for _, place in ordered:
        if place.admin1_pcode and place.admin2_pcode and place.admin2 and not place.admin2_inferred:
            districts.setdefault(place.admin1_pcode, set()).add((place.admin2, place.admin2_pcode))
    seen: set[str] = set()
    locations = []
    for _, place in ordered:
        if place.id in seen:
            continue
        seen.add(place.id)
        location = _location(place)
        named = districts.get(place.admin1_pcode or "", set())
        unsure = not location.admin2_pcode or place.admin2_inferred
        if location.precision == "locality" and unsure and len(named) == 1:
            ((name, pcode),) = named
            location = replace(location, admin2=name, admin2_pcode=pcode)
        locations.append(location)
    return locations


@lru_cache(maxsize=8192)
def _location(place: Place) -> Location:
    return place.location()


def _evidence(
    kind: EvidenceKind, code: str, folded: Folded, original: str, match: Match[Any] | Mention
) -> Evidence:
    start, end = folded.original_span(match.start, match.end)
    return Evidence(kind=kind, code=code, text=original[start:end], start=start, end=end)

"""Evacuation orders as records: who orders, which places, behind which line, how far.

An item is an order when the classifier found the evacuation category, the item has wording that
orders people to leave an area or relays such an order, and it names a place in Lebanon, a line
or a distance. Order wording does not count in a sentence about drills, the wounded, patients,
foreign nationals or people going home, nor shortly after an aside word in its clause ("weeks
after Israeli evacuation orders"): that recalls an earlier order. A report that restates an
earlier order with its places is an order record (issued: the report's publication time).

The places of the order are those named in the sentences with order wording or wording that
addresses an area's people or buildings ("residents of", "المتواجدين في"), and in the list that
follows a colon there; not those after an aside word up to the next such wording ("after
strikes on Tyre", "towards Saida"), nor the river of a line ("north of the Zahrani"). A
governorate is dropped when localities are named (it only addresses the warning, "سكان جنوب
لبنان"), and so is a district when one of its localities is named. Only places the classifier
also found count: it has already ruled out datelines, common words and lower-case lookalikes.

Phrases live in lexicons/evacuation.toml.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from digest.resources import package_data
from digest.signals.classify import MAX_CHARS
from digest.signals.gazetteer import Gazetteer, Mention, Place, resolve
from digest.signals.matcher import Match, MultiMatcher, longest_first, overlaps
from digest.text import Folded, fold, fold_plain
from digest.types import (
    Assessment,
    EvacuationOrder,
    Evidence,
    EvidenceKind,
    Item,
    Location,
    OrderLine,
)

LEXICON = package_data("signals", "lexicons", "evacuation.toml")
SCOPE = frozenset({"LB"})
CATEGORY = "evacuation"
LIST_ITEM_WORDS = 6  # a line this short after "the following villages:" is an item of the list
LINE_GAP_WORDS = 4  # filler words allowed between a direction and its feature
RIVER = " River"  # the gazetteer's rivers ("Hasbani River"): never a place to evacuate
RECALL_WORDS = 5  # "weeks after the Israeli evacuation orders": words from the aside to the order
_SENTENCE_END = re.compile(r"(?:[!?؟؛;\n]|\.(?!\d))+")
_WORD = re.compile(r"\w+")
_CLAUSE_END = re.compile(r"[,،:;؛.!?؟\n]")
# digits grouped by thousands: "1,000", "1.000", "1 000" (a space, no-break or narrow), "١٬٠٠٠"
_GROUPED = r"\d{1,3}(?:[,.\u066c \u00a0\u202f]\d{3})+(?!\d)"
_THOUSANDS = re.compile(_GROUPED)
_DECIMAL = r"\d+(?:[.,\u066b]\d+)?"  # "1.5", "1,5", "١٫٥" (the Arabic decimal separator)
_GROUP_MARKS = re.compile(r"[,.\u066c \u00a0\u202f]")
MAX_RADIUS_M = 50_000  # a larger distance is a misreading, not a warning's radius


@dataclass(frozen=True, slots=True)
class _Lexicon:
    kinds: dict[str, tuple[tuple[str, str], ...]]
    near_within: int  # words between a verb of ordering and its object
    fillers: frozenset[str]
    units: dict[str, int]
    numbers: dict[str, int]
    distance: re.Pattern[str]


@cache
def _lexicon() -> _Lexicon:
    table = tomllib.loads(LEXICON.read_text(encoding="utf-8"))
    kinds = {
        kind: tuple((phrase, kind) for words in table[kind].values() for phrase in words)
        for kind in ("order", "address", "aside", "not_order")
    }
    near = table["order_near"]
    kinds["verb"] = tuple((verb, "verb") for verb in near["verbs"])
    kinds["object"] = tuple((word, "object") for word in near["objects"])
    kinds["issuer"] = _meanings(table["issuers"])
    kinds["direction"] = _meanings(table["lines"]["directions"])
    kinds["feature"] = _meanings(table["lines"]["features"])
    kinds["radius"] = tuple((cue, "radius") for cue in table["radius"]["cues"])
    kinds["locator"] = tuple(
        (word, side) for side in ("before", "after") for word in table["locators"][side]
    )
    units = {fold_plain(unit): int(size) for unit, size in table["radius"]["units"].items()}
    numbers = {fold_plain(word): int(value) for word, value in table["radius"]["numbers"].items()}
    amount = "|".join([_GROUPED, _DECIMAL, *map(re.escape, numbers)])
    unit = "|".join(map(re.escape, sorted(units, key=len, reverse=True)))
    distance = re.compile(rf"(?<![\w.,\u066b])({amount})\s*-?\s*({unit})(?!\w)")
    fillers = frozenset(fold_plain(word) for word in table["lines"]["fillers"])
    return _Lexicon(kinds, int(near["within"]), fillers, units, numbers, distance)


def _meanings(table: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((phrase, meaning) for meaning, phrases in table.items() for phrase in phrases)


_MATCHERS: WeakKeyDictionary[Gazetteer, MultiMatcher] = WeakKeyDictionary()


def _matcher(gazetteer: Gazetteer) -> MultiMatcher:
    """The order phrases and the gazetteer's names in one automaton, built once per gazetteer."""
    matcher = _MATCHERS.get(gazetteer)
    if matcher is None:
        kinds: dict[str, Any] = {**_lexicon().kinds, "places": gazetteer.name_entries}
        matcher = _MATCHERS[gazetteer] = MultiMatcher(kinds)
    return matcher


@dataclass(frozen=True, slots=True)
class _Reading:
    """One item's folded text, its sentences and what the matcher found in it."""

    original: str
    folded: Folded
    found: dict[str, list[Match[Any]]]
    sentences: list[tuple[int, int]]

    def sentence(self, position: int) -> int:
        """The index of the sentence that holds a folded position."""
        return bisect_right(self.sentences, position, key=lambda s: s[1])

    @property
    def vetoed(self) -> set[int]:
        """The sentences about drills, the wounded, foreign nationals or people going home."""
        return {self.sentence(m.start) for m in self.found["not_order"]}

    def evidence(self, kind: EvidenceKind, code: str, match: Match[Any] | Mention) -> Evidence:
        start, end = self.folded.original_span(match.start, match.end)
        return Evidence(kind, code, self.original[start:end], start, end)


def extract_order(
    item: Item, assessment: Assessment, gazetteer: Gazetteer
) -> EvacuationOrder | None:
    """None unless the item orders or relays an order to evacuate an area, building or places."""
    if CATEGORY not in assessment.categories:
        return None
    original = item.analysed_text[:MAX_CHARS]
    folded = fold(original)
    reading = _Reading(original, folded, _matcher(gazetteer).find(folded), _sentences(folded))
    orders = _orders(reading)
    if not orders:
        return None
    region = _region(reading, orders)
    places = _places(reading, gazetteer, assessment, region, orders)
    lines = _lines(reading, region)
    radius = _radius(reading)
    if not (places or lines or radius):
        return None
    evidence = [reading.evidence("category", CATEGORY, match) for match in orders]
    evidence += [reading.evidence("location", place.id, mention) for mention, place in places]
    return EvacuationOrder(
        item_id=item.id,
        issuer=_issuer(reading, orders),
        issued=item.published,
        places=tuple(dict.fromkeys(_located(place, assessment) for _, place in places)),
        lines=lines,
        radius_m=radius,
        evidence=tuple(sorted(evidence, key=lambda e: (e.start, e.kind))),
    )


def _sentences(folded: Folded) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for end in _SENTENCE_END.finditer(folded.text):
        spans.append((start, end.end()))
        start = end.end()
    return [*spans, (start, len(folded.text) + 1)]


def _orders(reading: _Reading) -> list[Match[str]]:
    """The order wording, but not in vetoed sentences nor recalled after an aside word ("weeks
    after evacuation orders", "بعد ساعات من إنذارات إخلاء")."""
    vetoed = reading.vetoed
    asides = _aside_words(reading)
    found = longest_first(reading.found["order"] + _near_orders(reading))
    return [
        m
        for m in found
        if reading.sentence(m.start) not in vetoed
        and not any(_recalls(reading, aside, m) for aside in asides)
    ]


def _near_orders(reading: _Reading) -> list[Match[str]]:
    """A verb of ordering and its object a few words on in the same sentence."""
    text = reading.folded.text
    within = _lexicon().near_within
    return [
        Match(verb.start, obj.end, ("order",), f"{verb.pattern} ~ {obj.pattern}")
        for verb in reading.found["verb"]
        for obj in reading.found["object"]
        if verb.end <= obj.start
        and reading.sentence(verb.start) == reading.sentence(obj.start)
        and len(_WORD.findall(text, verb.end, obj.start)) <= within
    ]


def _aside_words(reading: _Reading) -> list[Match[str]]:
    """The aside words that are not part of order or address wording ("the following villages")."""
    wording = [(m.start, m.end) for m in reading.found["order"] + reading.found["address"]]
    return [m for m in reading.found["aside"] if not overlaps(m, wording)]


def _recalls(reading: _Reading, aside: Match[str], order: Match[str]) -> bool:
    """The aside word stands shortly before the order wording, in the same clause."""
    gap = reading.folded.text[aside.end : order.start]
    return (
        aside.end <= order.start
        and not _CLAUSE_END.search(gap)
        and len(_WORD.findall(gap)) <= RECALL_WORDS
    )


def _region(reading: _Reading, orders: list[Match[str]]) -> list[tuple[int, int]]:
    """The spans of the sentences that carry the order: with order or address wording, and the
    list that follows such a sentence when it ends with a colon."""
    chosen = {reading.sentence(m.start) for m in [*orders, *reading.found["address"]]}
    text = reading.folded.text
    for index in sorted(chosen):
        start, end = reading.sentences[index]
        if not text[start:end].rstrip().endswith(":"):
            continue
        following = index + 1
        while following < len(reading.sentences):
            chosen.add(following)
            start, end = reading.sentences[following]
            following += 1
            if len(_WORD.findall(text, start, end)) > LIST_ITEM_WORDS:
                break
    return [reading.sentences[i] for i in sorted(chosen)]


def _within(start: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start < e for s, e in spans)


def _asides(reading: _Reading, orders: list[Match[str]]) -> list[tuple[int, int]]:
    """From each aside word to the next order or address wording, or the end of its sentence."""
    resumes = sorted(m.start for m in [*orders, *reading.found["address"]])
    spans = []
    for aside in _aside_words(reading):
        end = reading.sentences[reading.sentence(aside.start)][1]
        end = min([r for r in resumes if r >= aside.end] + [end])
        spans.append((aside.start, end))
    return spans


def _features(reading: _Reading) -> list[tuple[int, int]]:
    """The spans of line features with the filler words around them ("نهر الأولي", "Litani
    River"): a river, not a place."""
    text = reading.folded.text
    fillers = _lexicon().fillers
    spans = []
    for feature in reading.found["feature"]:
        start, end = feature.start, feature.end
        while (before := re.search(r"(\w+)\W*$", text[max(0, start - 20) : start])) and (
            before.group(1) in fillers
        ):
            start -= len(before.group(0))
        while (after := re.match(r"\W*(\w+)", text[end : end + 20])) and after.group(1) in fillers:
            end += len(after.group(0))
        spans.append((start, end))
    return spans


def _places(
    reading: _Reading,
    gazetteer: Gazetteer,
    assessment: Assessment,
    region: list[tuple[int, int]],
    orders: list[Match[str]],
) -> list[tuple[Mention, Place]]:
    """The mentions of places ordered evacuated, each with its place, in order."""
    reported = {(e.start, e.end) for e in assessment.evidence if e.kind == "location"}
    mentions = [
        m
        for m in gazetteer.mentions(reading.found["places"], reading.folded, reading.original)
        if reading.folded.original_span(m.start, m.end) in reported
    ]
    asides = _asides(reading, orders)
    rivers = _features(reading)
    kept = [
        (mention, place)
        for mention, place in resolve(mentions, SCOPE)
        if place.country == "LB"
        and place.level != "country"
        and not place.name.endswith(RIVER)
        and _within(mention.start, region)
        and not _within(mention.start, asides)
        and not any(s <= mention.start and mention.end <= e for s, e in rivers)
    ]
    locators = {id(mention) for mention, _ in kept if _locates(reading, mention)}
    localities = [
        (mention, place)
        for mention, place in kept
        if place.level == "locality" and id(mention) not in locators
    ]
    districts = {_located(place, assessment).admin2_pcode for _, place in localities}

    def district(mention: Mention, place: Place) -> str | None:
        """The district a mention names as such: a district, or a town read as its district
        ("the Rachaya district")."""
        if place.level == "admin2":
            return place.id
        return _located(place, assessment).admin2_pcode if id(mention) in locators else None

    return [
        (mention, place)
        for mention, place in kept
        if not (place.level == "admin1" and localities)
        and district(mention, place) not in districts
    ]


def _locates(reading: _Reading, mention: Mention) -> bool:
    """The mention is named as a district: "district of" or "قضاء" just before it, "district"
    just after."""
    text = reading.folded.text
    for word in reading.found["locator"]:
        side = word.payloads[0]
        gap = text[word.end : mention.start] if side == "before" else text[mention.end : word.start]
        if (word.end <= mention.start if side == "before" else mention.end <= word.start) and (
            not gap.strip() or gap.strip() in ("the", "of")
        ):
            return True
    return False


def _located(place: Place, assessment: Assessment) -> Location:
    """The place as the classifier located it: a locality the gazetteer gives no district takes
    the one the text names beside it ("Hammara, in the Rachaya district")."""
    location = place.location()
    for found in assessment.locations:
        if (found.name, found.lat, found.lon) == (location.name, location.lat, location.lon):
            return found
    return location


def _lines(reading: _Reading, region: list[tuple[int, int]]) -> tuple[OrderLine, ...]:
    """Direction and feature pairs with only filler words between them, in order sentences."""
    text = reading.folded.text
    fillers = _lexicon().fillers
    directions = longest_first(reading.found["direction"])
    lines: dict[tuple[str, str], OrderLine] = {}
    for feature in sorted(reading.found["feature"], key=lambda m: m.start):
        if not _within(feature.start, region):
            continue
        for direction in reversed(directions):
            if direction.end > feature.start:
                continue
            gap = _WORD.findall(text, direction.end, feature.start)
            if len(gap) <= LINE_GAP_WORDS and fillers.issuperset(gap):
                start, end = reading.folded.original_span(direction.start, feature.end)
                key = (direction.payloads[0], feature.payloads[0])
                lines.setdefault(key, OrderLine(*key, reading.original[start:end]))
            break
    return tuple(lines.values())


def _radius(reading: _Reading) -> int | None:
    """The first distance in a sentence with a distance cue ("at least", "مسافة"), in metres;
    the cue is specific enough that the sentence need not name the order again ("Move at least
    500 metres away."), but not in a sentence about a drill or the wounded."""
    lexicon = _lexicon()
    cued = {reading.sentence(m.start) for m in reading.found["radius"]} - reading.vetoed
    for index in sorted(cued):
        start, end = reading.sentences[index]
        found = lexicon.distance.search(reading.folded.text, start, end)
        if found is not None:
            amount, unit = found.groups()
            readings = (round(v * lexicon.units[unit]) for v in _amounts(amount, lexicon.numbers))
            return next((m for m in readings if 0 < m <= MAX_RADIUS_M), None)
    return None


def _amounts(written: str, numbers: dict[str, int]) -> list[float]:
    """What a written amount may mean, likeliest first: digits grouped by thousands ("1.000",
    "1 000"), else a decimal ("1.5", "1,5", "1٫5")."""
    if written in numbers:
        return [numbers[written]]
    readings = []
    if _THOUSANDS.fullmatch(written):
        readings.append(float(_GROUP_MARKS.sub("", written)))
    if re.fullmatch(_DECIMAL, written):
        readings.append(float(re.sub("[,\u066b]", ".", written)))
    return readings


def _issuer(reading: _Reading, orders: list[Match[str]]) -> str | None:
    """The issuer named nearest an order wording in its sentence, else the first named."""
    issuers: list[Match[str]] = longest_first(reading.found["issuer"])
    if not issuers:
        return None
    near = [
        (min(abs(i.start - o.start), abs(i.end - o.end)), i.payloads[0])
        for i in issuers
        for o in orders
        if reading.sentence(i.start) == reading.sentence(o.start)
    ]
    return min(near)[1] if near else issuers[0].payloads[0]

"""Stories: the same incident or development, reported by many items, becomes one story.

Items are taken in order of publication. An item joins a story, the first of these that holds:

1. an exact duplicate: the same canonical URL or the same folded text;
2. a near copy (syndicated or lightly edited): similarity >= NEAR_COPY with one of its reports;
3. the same incident: a risk item of the same category family at the same place (district, or
   the same locality) within INCIDENT_WINDOW of the story's last report, in any language, even
   when the texts share no words (an Arabic and an English report of one strike);
4. similar coverage: similarity >= JOIN_SIMILARITY with the story as a whole (the centroid of
   its reports' vectors, see digest.similarity), unless the two name different districts as
   where it happened.

Joins other than by incident (1, 2 and 4) hold only within the story's time window:
STORY_WINDOW, or INCIDENT_WINDOW when both are incidents (the same words two days later are
another strike).
Otherwise the item starts a story. After a batch, `merge` joins stories whose coverage grew
alike (centroid similarity >= MERGE_SIMILARITY, same guards): one story's reports often drift
between sub-topics ("the court hears the case", "the company's chief says") that each started
alone. Thresholds come in two length tiers: articles share more of a topic's common words than
headlines do, even when they tell different stories.

Candidates come from an inverted index of each story's words, looked up by the item's strongest
words only, so the cost grows with the number of items, not with its square. Every join records
why, in words a reader can check.
"""

from __future__ import annotations

import gc
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from digest.signals.categories import FAMILIES
from digest.similarity import Frequencies, Vector, dot, shared, strongest, terms
from digest.types import AssessedItem, Location, Story, StoryMember, StoryView

STORY_WINDOW = timedelta(hours=72)
INCIDENT_WINDOW = timedelta(hours=24)
# Thresholds by length tier: reports of more than SHORT_WORDS distinct words (articles rather
# than headlines) share more of a topic's common vocabulary even when they tell different stories.
SHORT_WORDS = 40
JOIN_SIMILARITY = {"short": 0.15, "long": 0.2}
MERGE_SIMILARITY = {"short": 0.15, "long": 0.25}
NEAR_COPY = 0.8
NEAR_COPY_STORY = 0.3  # a near copy of a report is at least this close to its whole story
LOOKUP_WORDS = 12  # an item's strongest words used to find candidate stories
CANDIDATES = 2  # stories compared in full with an item
RECENT_REPORTS = 3  # latest reports of the closest story checked for a near copy
MERGE_ROUNDS = 3
STORY_SECONDS = STORY_WINDOW.total_seconds()
INCIDENT_SECONDS = INCIDENT_WINDOW.total_seconds()


def place_key(location: Location | None) -> str | None:
    """Where an incident is, for matching: the locality, else the district, else the
    governorate; country-wide mentions are too vague to join on."""
    if location is None or location.precision == "country":
        return None
    if location.precision == "locality":
        return location.admin2_pcode or f"{location.country}:{location.name}"
    return location.admin2_pcode or location.admin1_pcode


def families(entry: AssessedItem) -> frozenset[str]:
    return frozenset(FAMILIES[c] for c in entry.assessment.categories[:2])


def item_terms(entry: AssessedItem) -> dict[str, int]:
    return terms(entry.item.title, entry.item.text)


_NOWHERE: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Report:
    """An item as the clusterer handles it, with what every rule asks of it worked out once."""

    entry: AssessedItem
    vector: Vector
    moment: float  # publication time in seconds since the epoch
    risk: bool
    districts: frozenset[str]
    governorates: frozenset[str]
    reason: str = ""

    @classmethod
    def of(cls, entry: AssessedItem, vector: Vector) -> _Report:
        primary = entry.assessment.primary
        districts = governorates = _NOWHERE
        if primary is not None and primary.precision != "country":
            districts = frozenset(filter(None, [primary.admin2_pcode]))
            governorates = frozenset(filter(None, [primary.admin1_pcode]))
        moment = entry.item.published.timestamp()
        return cls(entry, vector, moment, entry.assessment.risk, districts, governorates)


@dataclass(eq=False, slots=True)
class _Open:
    id: str
    reports: list[_Report] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    norm_squared: float = 0.0
    words: int = 0  # distinct words summed over its reports, for the length tier
    first: float = math.inf  # publication times of its earliest and latest reports
    last: float = -math.inf
    into: _Open | None = None  # the story this one was merged into
    districts: set[str] = field(default_factory=set)
    governorates: set[str] = field(default_factory=set)
    top: list[str] | None = None  # its strongest words, until the story grows
    number: int = 0  # order of creation: of stories first seen at once, the earlier is first
    filed: list[str] = field(default_factory=list)  # the strongest words indexed for merges
    filed_under: list[tuple[str, int]] = field(default_factory=list)  # (word, period) keys
    # reports after this time cannot join (last + STORY_WINDOW; -inf once merged into another)
    open_until: float = -math.inf
    # an incident story: reports of the same kind recur daily, so its time window is narrower
    risk: bool = False

    def similarity(self, vector: Vector) -> float:
        if not self.norm_squared:
            return 0.0
        return dot(vector, self.centroid) / math.sqrt(self.norm_squared)

    def add(self, report: _Report, by_word: defaultdict[str, list[_Open]]) -> None:
        """Adds a report, and files the story in `by_word` under the words new to it."""
        centroid = self.centroid
        overlap = 0.0
        for word, weight in report.vector.items():
            old = centroid.get(word)
            if old is None:
                centroid[word] = weight
                by_word[word].append(self)
            else:
                overlap += weight * old
                centroid[word] = old + weight
        # |c + v|² with v of unit length (or empty)
        self.norm_squared += 2 * overlap + (1.0 if report.vector else 0.0)
        self.top = None
        self.reports.append(report)
        self.words += len(report.vector)
        self.risk = self.risk or report.risk
        if report.districts:
            self.districts |= report.districts
        if report.governorates:
            self.governorates |= report.governorates
        moment = report.moment
        if moment < self.first:
            self.first = moment
        if moment > self.last:
            self.last = moment
            self.open_until = moment + STORY_SECONDS

    def elsewhere(self, districts: Set[str], governorates: Set[str]) -> bool:
        """Whether places named as where things happened rule out one incident: no district
        (else no governorate) in common, when both sides name one."""
        if self.districts and districts:
            return not self.districts & districts
        return bool(self.governorates and governorates and not self.governorates & governorates)

    def norm(self) -> float:
        return math.sqrt(self.norm_squared) or 1.0

    def cosine(self, other: _Open) -> float:
        """The dot product of the two centroids at unit length, in the smaller one's order (as
        `dot`), each weight divided by its story's norm as it is used: no unit-length copy of a
        centroid is made."""
        small, large = (other, self) if len(self.centroid) > len(other.centroid) else (self, other)
        mine, theirs = small.centroid, large.centroid
        n, m = small.norm(), large.norm()
        return sum(
            [weight / n * (theirs[word] / m) for word, weight in mine.items() if word in theirs]
        )

    def top_words(self) -> list[str]:
        """The LOOKUP_WORDS strongest words of the centroid at unit length (in no set order)."""
        if self.top is None:
            centroid = self.centroid
            ranked = sorted(centroid, key=centroid.__getitem__, reverse=True)
            self.top = ranked[:LOOKUP_WORDS]
            if len(ranked) > LOOKUP_WORDS:
                # dividing by the norm can make the last word kept and the first left out equal,
                # and of equals the first in the centroid's order is kept
                norm = self.norm()
                kept, left = ranked[LOOKUP_WORDS - 1], ranked[LOOKUP_WORDS]
                if centroid[kept] / norm == centroid[left] / norm:
                    unit = {word: weight / norm for word, weight in centroid.items()}
                    self.top = strongest(unit, LOOKUP_WORDS)
        return self.top

    def story(self) -> Story:
        entries = [r.entry for r in sorted(self.reports, key=lambda r: r.moment)]
        lead = max(entries, key=lambda e: e.assessment.severity)  # the earliest of equals
        counts = Counter(c for e in entries for c in e.assessment.categories)
        ordered = sorted(
            counts,
            key=lambda c: (
                -counts[c],
                lead.assessment.categories.index(c) if c in lead.assessment.categories else 99,
            ),
        )
        return Story(
            id=self.id,
            members=tuple(StoryMember(r.entry.item.id, r.reason) for r in self.reports),
            first_seen=entries[0].item.published,
            last_updated=max(e.item.published for e in entries),
            severity=max(e.assessment.severity for e in entries),
            categories=tuple(ordered),
            primary=lead.assessment.primary,
        )


@dataclass(frozen=True, slots=True)
class Merge:
    absorbed: str
    into: str
    reason: str


class Vocabulary:
    """Word weights over the items a clusterer will see (those of existing stories included,
    so that weights are the same for all); each item's words are read once."""

    def __init__(self, entries: Iterable[AssessedItem]) -> None:
        self._terms = {entry.item.id: item_terms(entry) for entry in entries}
        self.frequencies = Frequencies(self._terms.values())

    def vector(self, entry: AssessedItem) -> Vector:
        counts = self._terms.pop(entry.item.id, None)
        return self.frequencies.vector(counts if counts is not None else item_terms(entry))


class Clusterer:
    """Assigns items to stories."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        existing: Sequence[tuple[Story, list[AssessedItem]]] = (),
    ) -> None:
        self._vocabulary = vocabulary
        self._ids: set[str] = set()  # taken: see reserve()
        self._open: list[_Open] = []
        self._by_url: dict[str, _Open] = {}
        self._by_hash: dict[str, _Open] = {}
        self._by_place: dict[tuple[str, str], list[_Open]] = {}
        self._by_word: defaultdict[str, list[_Open]] = defaultdict(list)
        self._of_item: dict[str, tuple[_Open, _Report]] = {}
        self._by_id: dict[str, _Open] = {}
        # live stories by strongest word and period (see _file_by_top)
        self._by_top: dict[tuple[str, int], set[_Open]] = defaultdict(set)
        for story, entries in existing:
            state = self._start(story.id)
            for member, entry in zip(story.members, entries, strict=True):
                self._join(state, self._report(entry), member.reason)

    @property
    def documents(self) -> int:
        """How many reports the word weights were measured over."""
        return self._vocabulary.frequencies.documents

    def _report(self, entry: AssessedItem) -> _Report:
        return _Report.of(entry, self._vocabulary.vector(entry))

    def add(self, entry: AssessedItem) -> tuple[str, str]:
        """The story the item joins, and why."""
        report = self._report(entry)
        url, text = entry.item.url, entry.item.content_hash
        linked = self._by_url.get(url) if url else None
        if linked is not None and _in_time(_current(linked), report):
            return self._join(linked, report, "same URL as an earlier report")
        copied = self._by_hash.get(text)
        if copied is not None and _in_time(_current(copied), report):
            return self._join(copied, report, "same text as an earlier report")
        candidates = self._candidates(report)
        for state, closeness in candidates[:1]:
            if closeness < NEAR_COPY_STORY:
                break
            for earlier in state.reports[-RECENT_REPORTS:]:
                similarity = dot(report.vector, earlier.vector)
                if similarity >= NEAR_COPY:
                    reason = f"near copy of {earlier.entry.item.id} (similarity {similarity:.2f})"
                    return self._join(state, report, reason)
        incident = self._incident(report)
        if incident is not None:
            return self._join(*incident)
        threshold = JOIN_SIMILARITY[_tier(len(report.vector))]
        for state, similarity in candidates:
            if similarity < threshold:
                break
            if state.elsewhere(report.districts, report.governorates):
                continue
            words = ", ".join(shared(report.vector, state.centroid))
            reason = f"similar to the story's reports (similarity {similarity:.2f}: {words})"
            return self._join(state, report, reason)
        return self._join(self._start(entry.item.id), report, "first report")

    def _candidates(self, report: _Report) -> list[tuple[_Open, float]]:
        """Stories in the report's time window sharing its strongest words, most similar first."""
        partial: dict[_Open, float] = defaultdict(float)
        by_word = self._by_word
        vector, moment = report.vector, report.moment
        for word in strongest(vector, LOOKUP_WORDS):
            postings = by_word.get(word)
            if not postings:
                continue
            weight = vector[word]
            closed = 0
            for state in postings:
                if moment <= state.open_until:  # never, once the story is merged into another
                    partial[state] += weight * state.centroid[word]
                else:
                    closed += 1
            if closed * 2 > len(postings):  # dropped once they are most of the list
                by_word[word] = [s for s in postings if moment <= s.open_until]
        if report.risk:  # the window is narrower for two incidents
            eligible = [state for state in partial if _in_time(state, report)]
        else:  # the look-up checked the end of the window
            eligible = [state for state in partial if state.first - STORY_SECONDS <= moment]
        best = sorted(eligible, key=partial.__getitem__, reverse=True)[:CANDIDATES]
        scored = [(state, state.similarity(vector)) for state in best]
        return sorted(scored, key=lambda pair: -pair[1])

    def _incident(self, report: _Report) -> tuple[_Open, _Report, str] | None:
        if not report.risk:
            return None
        primary = report.entry.assessment.primary
        key = place_key(primary)
        if not key:
            return None
        for family in sorted(families(report.entry)):
            for state in reversed(self._by_place.get((key, family), [])):
                state = _current(state)
                gap = report.moment - state.last
                if abs(gap) <= INCIDENT_SECONDS:
                    place = primary.name if primary else key
                    return state, report, f"same {family} incident at {place} within {_hours(gap)}"
        return None

    def _start(self, story_id: str) -> _Open:
        """A story named after its first report; a report that led a story once (and was then
        corrected into another) gets a numbered id instead, so no two stories share one."""
        unique, number = story_id, 1
        while unique in self._ids:
            number += 1
            unique = f"{story_id}-{number}"
        self._ids.add(unique)
        state = _Open(unique, number=len(self._open))
        self._open.append(state)
        self._by_id[unique] = state
        return state

    def _join(self, state: _Open, report: _Report, reason: str) -> tuple[str, str]:
        state = _current(state)
        entry = report.entry
        if not state.reports:  # the lead decides where and what the story is
            key = place_key(entry.assessment.primary)
            if report.risk and key:
                for family in families(entry):
                    self._by_place.setdefault((key, family), []).append(state)
        report.reason = reason
        state.add(report, self._by_word)
        if entry.item.url:
            self._by_url.setdefault(entry.item.url, state)
        self._by_hash.setdefault(entry.item.content_hash, state)
        self._of_item[entry.item.id] = (state, report)
        return state.id, reason

    def merge(self, touched: Iterable[str] | None = None) -> list[Merge]:
        """Join stories whose coverage is alike, the most alike first; the earlier story keeps
        its id. Each merge is checked against the stories as merged so far. With `touched`
        (the ids of stories that just took reports), only pairs with one of those are looked at:
        stories nothing happened to stay as they were."""
        merges: list[Merge] = []
        changed: set[_Open] | None = None  # None: every story
        if touched is not None:
            states = (_current(self._by_id[i]) for i in touched if i in self._by_id)
            changed = set(states)
        for _ in range(MERGE_ROUNDS):
            done, changed = self._merge_round(changed)
            if not done:
                break
            merges.extend(done)
        return merges

    def _merge_round(self, changed: set[_Open] | None) -> tuple[list[Merge], set[_Open]]:
        """One pass over the pairs of similar stories (all, or those with one of `changed`);
        after the first, only pairs where one story grew in the pass before can have become
        similar."""
        pairs = self._all_pairs() if changed is None else self._pairs_near(changed)
        merges = []
        grown: set[_Open] = set()
        for _, _, _, first, second in sorted(pairs, key=lambda pair: pair[:3], reverse=True):
            a, b = _current(first), _current(second)
            if a is b:
                continue
            similarity = a.cosine(b)
            if similarity < _merge_threshold(a, b) or not _overlap(a, b):
                continue
            if a.elsewhere(b.districts, b.governorates):
                continue
            keep, gone = (a, b) if _rank(a) <= _rank(b) else (b, a)
            words = ", ".join(shared(keep.centroid, gone.centroid))
            reason = f"story merged with {keep.id}: similar coverage ({similarity:.2f}: {words})"
            self._absorb(keep, gone, reason)
            merges.append(Merge(gone.id, keep.id, reason))
            grown.add(keep)
        return merges, grown

    def _all_pairs(self) -> list[_Pair]:
        """Every pair of live stories alike enough to merge, found by sharing a strongest word
        (stories in order of time, each looked up among the earlier ones still open)."""
        index: dict[str, list[_Open]] = defaultdict(list)
        pairs: list[_Pair] = []
        for state in sorted((s for s in self._open if s.into is None), key=_rank):
            top = state.top_words()
            seen: set[_Open] = set()
            for word in top:
                # stories that ended a window before this one began cannot meet any later one
                index[word] = [o for o in index[word] if state.first <= o.open_until]
                for other in index[word]:
                    if other not in seen:
                        seen.add(other)
                        pairs += _alike(other, state)
            for word in top:
                index[word].append(state)
        return pairs

    def _pairs_near(self, changed: set[_Open]) -> list[_Pair]:
        """The pairs alike enough to merge with one story of `changed`, through the index of
        every live story's strongest words and times (kept up to date as stories grow)."""
        self._file_by_top()
        pairs: dict[tuple[_Open, _Open], list[_Pair]] = {}
        for state in changed:
            rank = _rank(state)
            periods = _periods(state.first - STORY_SECONDS, state.last + STORY_SECONDS)
            for word in state.top_words():
                for period in periods:
                    for other in self._by_top.get((word, period), ()):
                        if other is state or not _overlap(state, other):
                            continue
                        key = (state, other) if rank < _rank(other) else (other, state)
                        if key not in pairs:
                            pairs[key] = _alike(*key)
        return [pair for found in pairs.values() for pair in found]

    def _file_by_top(self) -> None:
        """Files each live story under its strongest words in each period it spans, so that a
        look-up meets only stories of about the same time (of a year's stories sharing a word,
        nearly all ran at other times)."""
        for state in self._open:
            if state.into is not None:
                if not state.filed:
                    continue
                words: list[str] = []
            else:
                words = state.top_words()  # a new list only when the story has grown
                if words is state.filed:
                    continue
            for key in state.filed_under:
                self._by_top[key].discard(state)
            periods = _periods(state.first, state.last)
            state.filed_under = [(word, period) for word in words for period in periods]
            for key in state.filed_under:
                self._by_top[key].add(state)
            state.filed = words

    def _absorb(self, keep: _Open, gone: _Open, reason: str) -> None:
        gone.reports[0].reason = reason
        for report in gone.reports:
            keep.add(report, self._by_word)
            self._of_item[report.entry.item.id] = (keep, report)
        gone.into = keep
        gone.open_until = -math.inf
        keep.reports.sort(key=lambda r: r.moment)  # after the merge, in order of publication

    def story_of(self, item_id: str) -> tuple[str, str]:
        """The story an item is in now (after merges), and why it is there."""
        state, report = self._of_item[item_id]
        return _current(state).id, report.reason

    def stories(self) -> list[Story]:
        return [state.story() for state in self._open if state.into is None]

    def views(self, ids: Iterable[str]) -> list[StoryView]:
        """The stories of `ids` as they are now, with their reports."""
        states = [_current(self._by_id[i]) for i in dict.fromkeys(ids)]
        return [
            StoryView(state.story(), tuple(r.entry for r in state.reports))
            for state in dict.fromkeys(states)
        ]

    def reserve(self, ids: Iterable[str]) -> None:
        """Story ids in use elsewhere (stored stories not loaded as `existing`), which a new
        story must not take."""
        self._ids.update(ids)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for a clustering run (word weights, adding, merging):
    nearly everything it makes stays alive (term counts, vectors, reports, stories), so each
    collection would walk the whole growing heap for nothing: a third of the time at 100,000
    items. What cycles it leaves are collected once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tier(words: float) -> str:
    return "short" if words <= SHORT_WORDS else "long"


def _merge_threshold(a: _Open, b: _Open) -> float:
    return MERGE_SIMILARITY[_tier((a.words + b.words) / (len(a.reports) + len(b.reports)))]


def _current(state: _Open) -> _Open:
    while state.into is not None:
        state = state.into
    return state


def _in_time(state: _Open, report: _Report) -> bool:
    """Whether a report falls within a story's time window: STORY_WINDOW from its reports, or
    INCIDENT_WINDOW when both are incidents (the same words two days later are another strike).
    """
    window = INCIDENT_SECONDS if state.risk and report.risk else STORY_SECONDS
    return state.first - window <= report.moment <= state.last + window


# similarity, the ranks of the two stories, and the stories (the earlier first)
_Pair = tuple[float, tuple[float, int], tuple[float, int], "_Open", "_Open"]


def _rank(state: _Open) -> tuple[float, int]:
    return state.first, state.number


def _alike(earlier: _Open, later: _Open) -> list[_Pair]:
    """The pair, when close enough in time and place and similar enough to merge."""
    if not _overlap(earlier, later) or later.elsewhere(earlier.districts, earlier.governorates):
        return []
    similarity = later.cosine(earlier)
    if similarity < _merge_threshold(earlier, later):
        return []
    return [(similarity, _rank(earlier), _rank(later), earlier, later)]


def _periods(start: float, end: float) -> range:
    """The periods of STORY_WINDOW (counted from the epoch) that a span of time touches."""
    return range(math.floor(start / STORY_SECONDS), math.floor(end / STORY_SECONDS) + 1)


def _overlap(a: _Open, b: _Open) -> bool:
    """Whether two stories ran close enough in time to be one: within STORY_WINDOW of each
    other, or INCIDENT_WINDOW for two incident stories."""
    window = INCIDENT_SECONDS if a.risk and b.risk else STORY_SECONDS
    return b.first - a.last <= window and a.first - b.last <= window


def _hours(seconds: float) -> str:
    seconds = abs(seconds)
    return f"{seconds / 3600:.0f}h" if seconds >= 3600 else f"{seconds / 60:.0f} min"

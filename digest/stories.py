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

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from digest.signals.categories import FAMILIES
from digest.similarity import Frequencies, Vector, dot, shared, strongest, terms
from digest.types import AssessedItem, Location, Story, StoryMember

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
NEVER_AFTER = datetime.max.replace(tzinfo=UTC)
NEVER_BEFORE = datetime.min.replace(tzinfo=UTC)


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


def item_terms(entry: AssessedItem) -> Counter[str]:
    return terms(entry.item.title, entry.item.text)


@dataclass(eq=False)
class _Open:
    id: str
    entries: list[AssessedItem] = field(default_factory=list)
    members: list[StoryMember] = field(default_factory=list)
    vectors: list[Vector] = field(default_factory=list)
    centroid: dict[str, float] = field(default_factory=dict)
    norm_squared: float = 0.0
    words: int = 0  # distinct words summed over its reports, for the length tier
    first_seen: datetime = NEVER_AFTER
    last_updated: datetime = NEVER_BEFORE
    open_until: float = -math.inf  # timestamp past which it takes no new report (the hot check)
    into: _Open | None = None  # the story this one was merged into
    districts: set[str] = field(default_factory=set)
    governorates: set[str] = field(default_factory=set)
    unit: Vector | None = None  # the centroid at unit length, until the story grows
    # an incident story: reports of the same kind recur daily, so its time window is narrower
    risk: bool = False

    def similarity(self, vector: Vector) -> float:
        if not self.norm_squared:
            return 0.0
        return dot(vector, self.centroid) / math.sqrt(self.norm_squared)

    def add(self, entry: AssessedItem, vector: Vector, reason: str) -> list[str]:
        """Adds a report; returns the words new to the story."""
        centroid = self.centroid
        overlap = 0.0
        new = []
        for word, weight in vector.items():
            old = centroid.get(word)
            if old is None:
                centroid[word] = weight
                new.append(word)
            else:
                overlap += weight * old
                centroid[word] = old + weight
        self.norm_squared += 2 * overlap + (1.0 if vector else 0.0)  # |c + v|², v of unit length
        self.unit = None
        self.entries.append(entry)
        self.vectors.append(vector)
        self.words += len(vector)
        self.members.append(StoryMember(entry.item.id, reason))
        self.risk = self.risk or entry.assessment.risk
        districts, governorates = _places(entry)
        self.districts |= districts
        self.governorates |= governorates
        self.first_seen = min(self.first_seen, entry.item.published)
        self.last_updated = max(self.last_updated, entry.item.published)
        self.open_until = self.last_updated.timestamp() + STORY_WINDOW.total_seconds()
        return new

    def order_by_time(self) -> None:
        """Reports in order of publication (after a merge appended another story's)."""
        order = sorted(range(len(self.entries)), key=lambda i: self.entries[i].item.published)
        self.entries = [self.entries[i] for i in order]
        self.vectors = [self.vectors[i] for i in order]
        self.members = [self.members[i] for i in order]

    def elsewhere(self, districts: set[str], governorates: set[str]) -> bool:
        """Whether places named as where things happened rule out one incident: no district
        (else no governorate) in common, when both sides name one."""
        if self.districts and districts:
            return not self.districts & districts
        return bool(self.governorates and governorates and not self.governorates & governorates)

    def unit_centroid(self) -> Vector:
        if self.unit is None:
            norm = math.sqrt(self.norm_squared) or 1.0
            self.unit = {word: weight / norm for word, weight in self.centroid.items()}
        return self.unit

    def story(self) -> Story:
        lead = max(self.entries, key=lambda e: e.assessment.severity)  # the earliest of equals
        counts = Counter(c for e in self.entries for c in e.assessment.categories)
        ordered = sorted(
            counts,
            key=lambda c: (
                -counts[c],
                lead.assessment.categories.index(c) if c in lead.assessment.categories else 99,
            ),
        )
        return Story(
            id=self.id,
            members=tuple(self.members),
            first_seen=self.first_seen,
            last_updated=self.last_updated,
            severity=max(e.assessment.severity for e in self.entries),
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
        taken: Iterable[str] = (),
    ) -> None:
        """`taken`: story ids in use elsewhere (stored stories not loaded as `existing`), which a
        new story must not reuse."""
        self._vocabulary = vocabulary
        self._ids: set[str] = set(taken)
        self._open: list[_Open] = []
        self._by_url: dict[str, _Open] = {}
        self._by_hash: dict[str, _Open] = {}
        self._by_place: dict[tuple[str, str], list[_Open]] = {}
        self._by_word: dict[str, list[_Open]] = defaultdict(list)
        self._of_item: dict[str, tuple[_Open, str]] = {}
        for story, entries in existing:
            self._ids.discard(story.id)
            state = self._start(story.id)
            for member, entry in zip(story.members, entries, strict=True):
                self._join(state, entry, self._vocabulary.vector(entry), member.reason)

    def add(self, entry: AssessedItem) -> tuple[str, str]:
        """The story the item joins, and why."""
        url, text = entry.item.url, entry.item.content_hash
        vector = self._vocabulary.vector(entry)
        linked = self._by_url.get(url) if url else None
        if linked is not None and _in_time(_current(linked), entry):
            return self._join(linked, entry, vector, "same URL as an earlier report")
        copied = self._by_hash.get(text)
        if copied is not None and _in_time(_current(copied), entry):
            return self._join(copied, entry, vector, "same text as an earlier report")
        candidates = self._candidates(entry, vector)
        for state, closeness in candidates[:1]:
            if closeness < NEAR_COPY_STORY or not _in_time(state, entry):
                break
            for earlier, seen in zip(
                state.entries[-RECENT_REPORTS:], state.vectors[-RECENT_REPORTS:], strict=True
            ):
                similarity = dot(vector, seen)
                if similarity >= NEAR_COPY:
                    reason = f"near copy of {earlier.item.id} (similarity {similarity:.2f})"
                    return self._join(state, entry, vector, reason)
        incident = self._incident(entry)
        if incident is not None:
            return self._join(incident[0], entry, vector, incident[1])
        districts, governorates = _places(entry)
        for state, similarity in candidates:
            if similarity < JOIN_SIMILARITY[_tier(len(vector))]:
                break
            if state.elsewhere(districts, governorates) or not _in_time(state, entry):
                continue
            words = ", ".join(shared(vector, state.centroid))
            reason = f"similar to the story's reports (similarity {similarity:.2f}: {words})"
            return self._join(state, entry, vector, reason)
        return self._join(self._start(entry.item.id), entry, vector, "first report")

    def _candidates(self, entry: AssessedItem, vector: Vector) -> list[tuple[_Open, float]]:
        """Stories in the item's time window sharing its strongest words, most similar first."""
        partial: dict[_Open, float] = defaultdict(float)
        moment = entry.item.published.timestamp()
        for word in strongest(vector, LOOKUP_WORDS):
            postings = self._by_word.get(word)
            if not postings:
                continue
            weight = vector[word]
            closed = 0
            for state in postings:
                if state.into is None and moment <= state.open_until:
                    partial[state] += weight * state.centroid[word]
                else:
                    closed += 1
            if closed * 2 > len(postings):  # dropped once they are most of the list
                self._by_word[word] = [
                    s for s in postings if s.into is None and moment <= s.open_until
                ]
        eligible = [state for state in partial if _in_time(state, entry)]
        best = heapq.nlargest(CANDIDATES, eligible, key=partial.__getitem__)
        scored = [(state, state.similarity(vector)) for state in best]
        return sorted(scored, key=lambda pair: -pair[1])

    def _incident(self, entry: AssessedItem) -> tuple[_Open, str] | None:
        key = place_key(entry.assessment.primary)
        if not (entry.assessment.risk and key):
            return None
        for family in sorted(families(entry)):
            for state in reversed(self._by_place.get((key, family), [])):
                state = _current(state)
                gap = entry.item.published - state.last_updated
                if abs(gap) <= INCIDENT_WINDOW:
                    place = entry.assessment.primary.name if entry.assessment.primary else key
                    return state, f"same {family} incident at {place} within {_hours(gap)}"
        return None

    def _start(self, story_id: str) -> _Open:
        """A story named after its first report; a report that led a story once (and was then
        corrected into another) gets a numbered id instead, so no two stories share one."""
        unique, number = story_id, 1
        while unique in self._ids:
            number += 1
            unique = f"{story_id}-{number}"
        self._ids.add(unique)
        state = _Open(unique)
        self._open.append(state)
        return state

    def _join(
        self, state: _Open, entry: AssessedItem, vector: Vector, reason: str
    ) -> tuple[str, str]:
        state = _current(state)
        if not state.entries:  # the lead decides where and what the story is
            key = place_key(entry.assessment.primary)
            if entry.assessment.risk and key:
                for family in families(entry):
                    self._by_place.setdefault((key, family), []).append(state)
        for word in state.add(entry, vector, reason):
            self._by_word[word].append(state)
        if entry.item.url:
            self._by_url.setdefault(entry.item.url, state)
        self._by_hash.setdefault(entry.item.content_hash, state)
        self._of_item[entry.item.id] = (state, reason)
        return state.id, reason

    def merge(self, touched: Iterable[str] | None = None) -> list[Merge]:
        """Join stories whose coverage is alike, the most alike first; the earlier story keeps
        its id. Each merge is checked against the stories as merged so far. With `touched`
        (the ids of stories that just took reports), only pairs with one of those are looked at:
        stories nothing happened to stay as they were."""
        merges: list[Merge] = []
        changed: set[_Open] | None = None  # None: every story
        if touched is not None:
            wanted = set(touched)
            changed = {s for s in self._open if s.into is None and s.id in wanted}
        for _ in range(MERGE_ROUNDS):
            done, changed = self._merge_round(changed)
            if not done:
                break
            merges.extend(done)
        return merges

    def _merge_round(self, changed: set[_Open] | None) -> tuple[list[Merge], set[_Open]]:
        """One pass over the pairs of similar stories; after the first, only pairs where one
        story grew in the pass before can have become similar."""
        live = sorted((s for s in self._open if s.into is None), key=lambda s: s.first_seen)
        order = {state: number for number, state in enumerate(live)}
        index: dict[str, list[_Open]] = defaultdict(list)  # stories seen so far, by top word
        pairs: list[tuple[float, int, int]] = []
        for state in live:
            centroid = state.unit_centroid()
            top = strongest(centroid, LOOKUP_WORDS)
            seen: set[_Open] = set()
            for word in top:
                # stories that ended a window before this one began cannot meet any later one
                index[word] = [
                    o for o in index[word] if state.first_seen - o.last_updated <= STORY_WINDOW
                ]
                for other in index[word]:
                    if other in seen:
                        continue
                    seen.add(other)
                    if changed is not None and state not in changed and other not in changed:
                        continue
                    if not _overlap(state, other) or state.elsewhere(
                        other.districts, other.governorates
                    ):
                        continue
                    similarity = dot(centroid, other.unit_centroid())
                    if similarity >= _merge_threshold(state, other):
                        pairs.append((similarity, order[other], order[state]))
            for word in top:
                index[word].append(state)
        merges = []
        grown: set[_Open] = set()
        for _, first, second in sorted(pairs, reverse=True):
            a, b = _current(live[first]), _current(live[second])
            if a is b:
                continue
            similarity = dot(a.unit_centroid(), b.unit_centroid())
            if similarity < _merge_threshold(a, b) or not _overlap(a, b):
                continue
            if a.elsewhere(b.districts, b.governorates):
                continue
            keep, gone = (a, b) if (a.first_seen, order[a]) <= (b.first_seen, order[b]) else (b, a)
            words = ", ".join(shared(keep.centroid, gone.centroid))
            reason = f"story merged with {keep.id}: similar coverage ({similarity:.2f}: {words})"
            self._absorb(keep, gone, reason)
            merges.append(Merge(gone.id, keep.id, reason))
            grown.add(keep)
        return merges, grown

    def _absorb(self, keep: _Open, gone: _Open, reason: str) -> None:
        for number, (entry, vector, member) in enumerate(
            zip(gone.entries, gone.vectors, gone.members, strict=True)
        ):
            why = reason if number == 0 else member.reason
            for word in keep.add(entry, vector, why):
                self._by_word[word].append(keep)
            self._of_item[entry.item.id] = (keep, why)
        gone.into = keep
        keep.order_by_time()

    def story_of(self, item_id: str) -> tuple[str, str]:
        """The story an item is in now (after merges), and why it is there."""
        state, reason = self._of_item[item_id]
        return _current(state).id, reason

    def stories(self) -> list[Story]:
        return [state.story() for state in self._open if state.into is None]


def _tier(words: float) -> str:
    return "short" if words <= SHORT_WORDS else "long"


def _merge_threshold(a: _Open, b: _Open) -> float:
    return MERGE_SIMILARITY[_tier((a.words + b.words) / (len(a.vectors) + len(b.vectors)))]


def _places(entry: AssessedItem) -> tuple[set[str], set[str]]:
    """The district and governorate of an item's primary place, as sets (empty when unknown)."""
    primary = entry.assessment.primary
    if primary is None or primary.precision == "country":
        return set(), set()
    return set(filter(None, [primary.admin2_pcode])), set(filter(None, [primary.admin1_pcode]))


def _current(state: _Open) -> _Open:
    while state.into is not None:
        state = state.into
    return state


def _in_time(state: _Open, entry: AssessedItem) -> bool:
    """Whether a report falls within a story's time window: STORY_WINDOW from its reports, or
    INCIDENT_WINDOW when both are incidents (the same words two days later are another strike).
    """
    window = INCIDENT_WINDOW if state.risk and entry.assessment.risk else STORY_WINDOW
    when = entry.item.published
    return state.first_seen - window <= when <= state.last_updated + window


def _overlap(a: _Open, b: _Open) -> bool:
    """Whether two stories ran close enough in time to be one: within STORY_WINDOW of each
    other, or INCIDENT_WINDOW for two incident stories."""
    window = INCIDENT_WINDOW if a.risk and b.risk else STORY_WINDOW
    return b.first_seen - a.last_updated <= window and a.first_seen - b.last_updated <= window


def _hours(delta: timedelta) -> str:
    hours = abs(delta.total_seconds()) / 3600
    return f"{hours:.0f}h" if hours >= 1 else f"{abs(delta.total_seconds()) / 60:.0f} min"

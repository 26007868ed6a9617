"""Stories, first cut: the same incident reported by several items becomes one story.

An item joins an open story when it is an exact duplicate of one of its items (same canonical URL
or same content hash), or when it reports the same kind of incident (category family) at the
same place (district, or the same locality) within INCIDENT_WINDOW of the story's last report,
in any language. Every join records its reason. Near-duplicate text detection is still to come.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from digest.signals.categories import FAMILIES
from digest.types import AssessedItem, Location, Story, StoryMember

INCIDENT_WINDOW = timedelta(hours=24)


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


@dataclass
class _Open:
    id: str
    entries: list[AssessedItem]
    members: list[StoryMember]
    last_updated: datetime = field(default=datetime.min.replace(tzinfo=UTC))

    def add(self, entry: AssessedItem, reason: str) -> None:
        self.entries.append(entry)
        self.members.append(StoryMember(entry.item.id, reason))
        self.last_updated = max(self.last_updated, entry.item.published)

    def story(self) -> Story:
        lead = max(
            self.entries, key=lambda e: e.assessment.severity
        )  # max keeps the first: earliest
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
            first_seen=min(e.item.published for e in self.entries),
            last_updated=self.last_updated,
            severity=max(e.assessment.severity for e in self.entries),
            categories=tuple(ordered),
            primary=lead.assessment.primary,
        )


class Clusterer:
    """Assigns items, in order of publication, to stories. Indexes by URL, by text and by (place,
    family) keep it linear in the number of items."""

    def __init__(self, existing: Sequence[tuple[Story, list[AssessedItem]]] = ()) -> None:
        self._open: list[_Open] = []
        self._by_url: dict[str, _Open] = {}
        self._by_hash: dict[str, _Open] = {}
        self._by_place: dict[tuple[str, str], list[_Open]] = {}
        for story, entries in existing:
            state = self._start(story.id)
            for member, entry in zip(story.members, entries, strict=True):
                self._join(state, entry, member.reason)

    def add(self, entry: AssessedItem) -> tuple[str, str]:
        """The story the item joins, and why."""
        url, text = entry.item.url, entry.item.content_hash
        if url and url in self._by_url:
            return self._join(self._by_url[url], entry, "same URL as an earlier report")
        if text in self._by_hash:
            return self._join(self._by_hash[text], entry, "same text as an earlier report")
        key = place_key(entry.assessment.primary)
        if entry.assessment.risk and key:
            for family in sorted(families(entry)):
                for state in reversed(self._by_place.get((key, family), [])):
                    gap = entry.item.published - state.last_updated
                    if abs(gap) <= INCIDENT_WINDOW:
                        place = entry.assessment.primary.name if entry.assessment.primary else key
                        reason = f"same {family} incident at {place} within {_hours(gap)}"
                        return self._join(state, entry, reason)
        state = self._start(entry.item.id)
        return self._join(state, entry, "first report")

    def _start(self, story_id: str) -> _Open:
        state = _Open(story_id, [], [])
        self._open.append(state)
        return state

    def _join(self, state: _Open, entry: AssessedItem, reason: str) -> tuple[str, str]:
        if not state.entries:  # the lead decides where and what the story is
            key = place_key(entry.assessment.primary)
            if entry.assessment.risk and key:
                for family in families(entry):
                    self._by_place.setdefault((key, family), []).append(state)
        state.add(entry, reason)
        if entry.item.url:
            self._by_url.setdefault(entry.item.url, state)
        self._by_hash.setdefault(entry.item.content_hash, state)
        return state.id, reason

    def stories(self) -> list[Story]:
        return [state.story() for state in self._open]


def _hours(delta: timedelta) -> str:
    hours = abs(delta.total_seconds()) / 3600
    return f"{hours:.0f}h" if hours >= 1 else f"{abs(delta.total_seconds()) / 60:.0f} min"

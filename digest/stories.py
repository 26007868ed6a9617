"""Stories, first cut: the same incident reported by several items becomes one story.

An item joins an open story when it is an exact duplicate of one of its items (same canonical URL
or same content hash), or when it reports the same kind of incident (category family) at the
same place (district, or the same locality) within INCIDENT_WINDOW of the story's last report,
in any language. Every join records its reason. Near-duplicate text detection is still to come.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
    urls: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)

    def add(self, entry: AssessedItem, reason: str) -> None:
        self.entries.append(entry)
        self.members.append(StoryMember(entry.item.id, reason))
        if entry.item.url:
            self.urls.add(entry.item.url)
        self.hashes.add(entry.item.content_hash)

    @property
    def last_updated(self) -> datetime:
        return max(e.item.published for e in self.entries)

    def story(self) -> Story:
        lead = max(self.entries, key=lambda e: (e.assessment.severity, -self.entries.index(e)))
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
    """Assigns items, in order of publication, to stories."""

    def __init__(self, existing: list[tuple[Story, list[AssessedItem]]] = ()) -> None:  # type: ignore[assignment]
        self._open: list[_Open] = []
        for story, entries in existing:
            state = _Open(story.id, [], [])
            for member, entry in zip(story.members, entries, strict=True):
                state.add(entry, member.reason)
            self._open.append(state)

    def add(self, entry: AssessedItem) -> tuple[str, str]:
        """The story the item joins, and why."""
        for state in self._open:
            if entry.item.url and entry.item.url in state.urls:
                return self._join(state, entry, "same URL as an earlier report")
            if entry.item.content_hash in state.hashes:
                return self._join(state, entry, "same text as an earlier report")
        key = place_key(entry.assessment.primary)
        kinds = families(entry)
        if entry.assessment.risk and key and kinds:
            for state in reversed(self._open):
                if abs(entry.item.published - state.last_updated) > INCIDENT_WINDOW:
                    continue
                lead = state.entries[0]
                if place_key(lead.assessment.primary) == key and kinds & families(lead):
                    place = entry.assessment.primary.name if entry.assessment.primary else key
                    family = sorted(kinds & families(lead))[0]
                    return self._join(
                        state,
                        entry,
                        f"same {family} incident at {place} within "
                        f"{_hours(entry.item.published - state.last_updated)}",
                    )
        state = _Open(entry.item.id, [], [])
        self._open.append(state)
        state.add(entry, "first report")
        return state.id, "first report"

    def _join(self, state: _Open, entry: AssessedItem, reason: str) -> tuple[str, str]:
        state.add(entry, reason)
        return state.id, reason

    def stories(self) -> list[Story]:
        return [state.story() for state in self._open]


def _hours(delta: timedelta) -> str:
    hours = abs(delta.total_seconds()) / 3600
    return f"{hours:.0f}h" if hours >= 1 else f"{abs(delta.total_seconds()) / 60:.0f} min"

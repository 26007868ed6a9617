"""The values that flow between the stages of the pipeline.

SourceConfig -(fetch)-> Fetched | NotModified -(parse)-> RawItem -(normalise)-> Item
-(classify)-> Assessment -(store, cluster)-> Story -(select, group, rank)-> Digest
-(render)-> Rendered
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Precision = Literal["country", "admin1", "admin2", "locality"]
EvidenceKind = Literal["category", "location", "severity", "exclusion", "actor"]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed body as the server sent it, with the validators for the next conditional GET."""

    url: str
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    final_url: str
    permanent_redirect: bool = False


@dataclass(frozen=True, slots=True)
class NotModified:
    """The server answered 304: nothing to parse."""

    url: str


@dataclass(frozen=True, slots=True)
class RawItem:
    """One entry as the feed states it, before any cleaning."""

    guid: str | None
    url: str | None
    title: str
    summary_html: str
    published: datetime | None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    language: str | None
    items: tuple[RawItem, ...]
    problem: str | None = None  # a malformed feed read anyway, by the tolerant parser


@dataclass(frozen=True, slots=True)
class Item:
    """A cleaned entry: stable id, plain text for analysis, sanitised HTML for display."""

    id: str
    source: str
    guid: str | None
    url: str | None
    title: str
    text: str
    summary_html: str
    lang_hint: str | None
    published: datetime
    fetched: datetime
    content_hash: str

    @property
    def analysed_text(self) -> str:
        """The string evidence offsets refer to: title, newline, text."""
        return f"{self.title}\n{self.text}"


@dataclass(frozen=True, slots=True)
class Location:
    name: str
    place: str | None
    country: str | None
    admin1: str | None
    admin1_pcode: str | None
    admin2: str | None
    admin2_pcode: str | None
    lat: float | None
    lon: float | None
    precision: Precision

    def as_dict(self) -> dict[str, Any]:
        """The CONTRACTS section 2 location object (faster than dataclasses.asdict)."""
        return {
            "name": self.name,
            "place": self.place,
            "country": self.country,
            "admin1": self.admin1,
            "admin1_pcode": self.admin1_pcode,
            "admin2": self.admin2,
            "admin2_pcode": self.admin2_pcode,
            "lat": self.lat,
            "lon": self.lon,
            "precision": self.precision,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    code: str
    text: str
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "text": self.text,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class Casualties:
    killed: int = 0
    injured: int = 0


@dataclass(frozen=True, slots=True)
class Assessment:
    item_id: str
    lang: str
    risk: bool
    severity: int
    categories: tuple[str, ...]
    locations: tuple[Location, ...]
    evidence: tuple[Evidence, ...]
    casualties: Casualties = field(default_factory=Casualties)

    @property
    def primary(self) -> Location | None:
        return self.locations[0] if self.locations else None


@dataclass(frozen=True, slots=True)
class AssessedItem:
    item: Item
    assessment: Assessment


@dataclass(frozen=True, slots=True)
class StoryMember:
    item_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Story:
    """One incident or development, reported by one or more items."""

    id: str
    members: tuple[StoryMember, ...]
    first_seen: datetime
    last_updated: datetime
    severity: int
    categories: tuple[str, ...]
    primary: Location | None


@dataclass(frozen=True, slots=True)
class StoryView:
    """A story with its items, as a reader sees it: `language` is the reader's (the headline is
    taken from a report in it when there is one), `since` the start of the reader's window
    (what was first seen before it is an update, not news), `tiers` what the reader's
    configuration says of each source (for corroboration), `note` a reviewer's note on it
    (digest/review.py)."""

    story: Story
    items: tuple[AssessedItem, ...]
    language: str | None = None
    since: datetime | None = None
    tiers: Mapping[str, SourceTier] | None = None
    note: str | None = None

    @property
    def corroboration(self) -> Corroboration | None:
        """How many independent sources report the story (sources of one affiliation count
        once) and the best tier among them; None when tiers are not known."""
        if self.tiers is None:
            return None
        groups: set[str] = set()
        best = LOWEST_TIER
        for source in self.sources:
            known = self.tiers.get(source, UNRATED)
            groups.add(f"affiliation:{known.affiliation}" if known.affiliation else source)
            best = min(best, known.tier)
        return Corroboration(len(groups), best)

    @property
    def lead(self) -> AssessedItem:
        """The report that speaks for the story: of those in the reader's language if any, the
        most severe, and of those the latest (death tolls rise; the headline should carry the
        latest figures)."""
        own = [e for e in self.items if e.assessment.lang == self.language]
        return max(own or self.items, key=lambda e: (e.assessment.severity, e.item.published))

    @property
    def mark(self) -> str | None:
        """ "new" when first seen in the reader's window, "updated" when seen before it."""
        if self.since is None:
            return None
        return "new" if self.story.first_seen >= self.since else "updated"

    @property
    def casualties(self) -> Casualties:
        """The highest figures any report gives (reports catch up as tolls rise)."""
        return Casualties(
            killed=max(e.assessment.casualties.killed for e in self.items),
            injured=max(e.assessment.casualties.injured for e in self.items),
        )

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.item.source for i in self.items))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.assessment.lang for i in self.items))


@dataclass(frozen=True, slots=True)
class SourceTier:
    """How far a source is trusted: 1 official or UN, 2 established media, 3 local or partisan
    outlets, 4 unverified social channels; sources of one affiliation are not independent."""

    tier: int = 3
    affiliation: str | None = None


LOWEST_TIER = 4
UNRATED = SourceTier()  # a source the configuration does not rate (an OPML import, say)


@dataclass(frozen=True, slots=True)
class Corroboration:
    independent: int  # sources reporting it, those of one affiliation counted once
    best_tier: int


@dataclass(frozen=True, slots=True)
class DistrictSection:
    name: str
    pcode: str | None
    stories: tuple[StoryView, ...]


@dataclass(frozen=True, slots=True)
class GovernorateSection:
    name: str
    pcode: str | None
    districts: tuple[DistrictSection, ...]

    @property
    def story_count(self) -> int:
        return sum(len(d.stories) for d in self.districts)


@dataclass(frozen=True, slots=True)
class Digest:
    profile: str
    timezone: str
    window_start: datetime
    window_end: datetime
    early_warning: tuple[StoryView, ...]
    governorates: tuple[GovernorateSection, ...]
    items_considered: int
    omitted: int = 0  # stories left out to keep the email under its size limit
    language: str = "en"  # of the headings
    # incidents a day in each district (admin-2 P-code) over the BASELINE_DAYS before the window
    baseline: Mapping[str, float] = field(default_factory=dict)

    @property
    def story_count(self) -> int:
        return sum(g.story_count for g in self.governorates)

    @property
    def views(self) -> tuple[StoryView, ...]:
        """Every story shown, in the order shown: early warning, then by place."""
        placed = (v for g in self.governorates for d in g.districts for v in d.stories)
        return (*self.early_warning, *placed)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str

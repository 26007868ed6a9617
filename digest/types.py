"""The values that flow between the stages of the pipeline.

SourceConfig -(fetch)-> Fetched | NotModified -(parse)-> RawItem -(normalise)-> Item
-(classify)-> Assessment -(store, cluster)-> Story -(select, group, rank)-> Digest
-(render)-> Rendered
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
class OrderLine:
    direction: str  # "north" | "south" | "east" | "west"
    feature: str  # canonical English name: "Litani", "Awali", "Zahrani", "Blue Line"
    text: str  # as written in the source


@dataclass(frozen=True, slots=True)
class EvacuationOrder:
    item_id: str
    issuer: str | None  # canonical English ("Israeli army", "Lebanese Army"...); None if unstated
    issued: datetime  # the item's publication time
    places: tuple[Location, ...]  # ordered evacuated, in order of mention, no duplicates
    lines: tuple[OrderLine, ...]
    radius_m: int | None
    # "category" spans of the order wording, "location" spans of the places (code: the place id);
    # offsets into item.analysed_text
    evidence: tuple[Evidence, ...]

    @property
    def districts(self) -> tuple[str, ...]:
        """The admin-2 P-codes of the places, distinct, in order."""
        return tuple(dict.fromkeys(p.admin2_pcode for p in self.places if p.admin2_pcode))


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
    order: EvacuationOrder | None = None  # when it orders (or relays an order) to evacuate

    @property
    def primary(self) -> Location | None:
        return self.locations[0] if self.locations else None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A report the classifier failed on: a fault of digest's, not of the report, so the report
    is kept as it is and waits to be classified again (by a corrected version)."""

    item_id: str
    problem: str
    trace: str = ""  # where it failed, for the log


@dataclass(frozen=True, slots=True)
class AssessedItem:
    item: Item
    assessment: Assessment


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One evacuation order as a reader sees it: the same warning relayed by several sources (a
    story) is one order, with the places, lines and radius its reports give."""

    story_id: str | None  # None when its report is in no story (yet)
    reports: tuple[AssessedItem, ...]  # those giving the order, earliest first

    @property
    def key(self) -> str:
        return self.story_id or self.reports[0].item.id

    @property
    def orders(self) -> tuple[EvacuationOrder, ...]:
        return tuple(r.assessment.order for r in self.reports if r.assessment.order)

    @property
    def issued(self) -> datetime:
        """When the first report of it was published."""
        return min(order.issued for order in self.orders)

    @property
    def issuer(self) -> str | None:
        return next((order.issuer for order in self.orders if order.issuer), None)

    @property
    def places(self) -> tuple[Location, ...]:
        return tuple(dict.fromkeys(place for order in self.orders for place in order.places))

    @property
    def lines(self) -> tuple[OrderLine, ...]:
        """Each (direction, feature) once, as the first report wrote it."""
        lines: dict[tuple[str, str], OrderLine] = {}
        for order in self.orders:
            for line in order.lines:
                lines.setdefault((line.direction, line.feature), line)
        return tuple(lines.values())

    @property
    def radius_m(self) -> int | None:
        """The largest distance any report gives: the safe reading."""
        return max((o.radius_m for o in self.orders if o.radius_m), default=None)

    @property
    def districts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(code for order in self.orders for code in order.districts))

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(report.item.source for report in self.reports))


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
        """How many independent sources report the story and the best tier among them; None
        when tiers are not known."""
        return None if self.tiers is None else corroboration(self.sources, self.tiers)

    @property
    def severity(self) -> int:
        """The story's severity as the reader's digest weighs it (see `weighed_severity`)."""
        found = self.corroboration
        return weighed_severity(self.story.severity, found is not None and found.unconfirmed)

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

    @property
    def unconfirmed(self) -> bool:
        """Its one independent source is an unverified social channel (tier 4)."""
        return self.independent == 1 and self.best_tier >= LOWEST_TIER


def corroboration(sources: Iterable[str], tiers: Mapping[str, SourceTier]) -> Corroboration:
    """How many independent sources report a story (sources of one affiliation count once) and
    the best tier among them."""
    groups: set[str] = set()
    best = LOWEST_TIER
    for source in sources:
        known = tiers.get(source, UNRATED)
        groups.add(f"affiliation:{known.affiliation}" if known.affiliation else source)
        best = min(best, known.tier)
    return Corroboration(len(groups), best)


def weighed_severity(severity: int, unconfirmed: bool) -> int:
    """A story's severity as a digest weighs it: a level lower (not below 1) while it is
    unconfirmed (see `Corroboration.unconfirmed`)."""
    return max(1, severity - 1) if unconfirmed else severity


WEEK = 7  # days of the short average a district's incidents are compared with
MONTH = 28  # and of the long one
RISE = 2.0  # a window's incidents at least this many times the week's average (and 2 or more)
Change = Literal["new", "quiet", "up", ""]


@dataclass(frozen=True, slots=True)
class DistrictTrend:
    governorate: str
    governorate_pcode: str | None
    district: str
    pcode: str
    today: int  # new incidents in the window
    week: float | None  # new incidents a day over the WEEK days before the window
    month: float | None  # over the MONTH days before (None: no reading before the window)
    days: float = 1.0  # the window's length in days (more than one after a missed digest)
    history: float = MONTH  # days read before the window, up to MONTH (a new installation)

    @property
    def change(self) -> Change:
        """ "new": affected after none in MONTH days (or all the days read, at least a WEEK);
        "quiet": none after some in the WEEK before; "up": RISE times the week's average and
        2 or more; else steady, or nothing known."""
        if self.week is None or self.month is None:
            return ""
        if self.today and not self.month:
            return "new" if self.history >= WEEK else ""
        if not self.today and self.week:
            return "quiet"
        if self.today >= 2 and self.today / self.days >= RISE * self.week:
            return "up"
        return ""


@dataclass(frozen=True, slots=True)
class GovernorateTrend:
    name: str
    pcode: str | None
    districts: tuple[DistrictTrend, ...]


@dataclass(frozen=True, slots=True)
class Trends:
    """The districts with incidents in the window or the WEEK before it, by governorate."""

    governorates: tuple[GovernorateTrend, ...] = ()

    @property
    def districts(self) -> tuple[DistrictTrend, ...]:
        return tuple(d for g in self.governorates for d in g.districts)

    def having(self, change: Change) -> tuple[DistrictTrend, ...]:
        return tuple(d for d in self.districts if d.change == change)


LapseState = Literal["gone", "failing", "silent"]


@dataclass(frozen=True, slots=True)
class Lapse:
    """A source the digest may be missing reports from. `since`: when it started failing, or
    its last new report (None: none yet)."""

    source: str
    state: LapseState
    since: datetime | None
    failures: int = 0
    reason: str | None = None


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
    trends: Trends = field(default_factory=Trends)  # what changed, per district
    lapses: tuple[Lapse, ...] = ()  # sources failing or silent when it was built
    orders: tuple[OrderRecord, ...] = ()  # evacuation orders issued in the window
    in_force: tuple[OrderRecord, ...] = ()  # issued before it, within the profile's order_days
    expired: tuple[OrderRecord, ...] = ()  # reached order_days in the window
    order_days: int = 7  # how long an order's districts stay marked

    @property
    def marked(self) -> dict[str, datetime]:
        """The districts (admin-2 P-codes) under an order issued in the window or in force,
        with when the latest was issued."""
        marked: dict[str, datetime] = {}
        for record in (*self.orders, *self.in_force):
            for district in record.districts:
                marked[district] = max(marked.get(district, record.issued), record.issued)
        return marked

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

"""What changed, per district: the new incidents of a digest's window against the daily averages
of the 7 and 28 days before it, the districts newly affected and those quiet after activity.

An incident counts once, in the district of its story's place, on the day the story was first
seen, when the profile would show it as an incident (its severity, categories and regions; early
warnings are not incidents). Pure: takes stories, returns the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from digest import briefing
from digest.briefing import warns
from digest.config import ProfileConfig
from digest.types import (
    MONTH,
    WEEK,
    DistrictTrend,
    GovernorateTrend,
    Location,
    SourceTier,
    Story,
    Trends,
    corroboration,
    weighed_severity,
)


def unconfirmed(sources: Mapping[str, Sequence[str]], tiers: Mapping[str, SourceTier]) -> set[str]:
    """The stories (of `sources`: story id -> its sources' names) a digest weighs a level lower,
    reported by one unverified social channel only."""
    return {story for story, names in sources.items() if corroboration(names, tiers).unconfirmed}


def counts_as_incident(
    story: Story,
    profile: ProfileConfig,
    parents: dict[str, str],
    lowered: Set[str] = frozenset(),
) -> bool:
    """The profile would show the story as an incident in a district: severe enough (as the
    digest weighs it: a level lower when in `lowered`, see `unconfirmed`), of its categories,
    placed in its regions, not an early warning."""
    place = story.primary
    return (
        place is not None
        and weighed_severity(story.severity, story.id in lowered) >= max(profile.min_severity, 1)
        and incident_kind(story.categories, profile)
        and in_regions(place, profile, parents)
    )


def incident_kind(categories: tuple[str, ...], profile: ProfileConfig) -> bool:
    """Of the profile's categories (any, without), and not an early warning."""
    if profile.categories and not set(categories) & set(profile.categories):
        return False
    return bool(categories) and not warns(categories)


def in_regions(place: Location, profile: ProfileConfig, parents: dict[str, str]) -> bool:
    """In a district, within the profile's regions (anywhere, without)."""
    if not place.admin2_pcode:
        return False
    return not profile.regions or briefing.in_regions(place, profile.regions, parents)


@dataclass(frozen=True, slots=True)
class Incidents:
    """New incidents in a district: `count` of them first seen at `seen` (or in its hour)."""

    seen: datetime
    place: Location
    count: int = 1


def incidents_of(
    stories: Iterable[Story],
    profile: ProfileConfig,
    parents: dict[str, str],
    lowered: Set[str] = frozenset(),
) -> list[Incidents]:
    return [
        Incidents(story.first_seen, story.primary)
        for story in stories
        if story.primary is not None and counts_as_incident(story, profile, parents, lowered)
    ]


def district_trends(
    span: tuple[datetime, datetime],
    found: Iterable[Incidents],
    reading_since: datetime | None = None,
) -> Trends:
    """The trend table of a window from the incidents `found` in it or the MONTH days before;
    averages over the days read before the window (since `reading_since`, when the first
    source was added, or the first incident) when fewer than MONTH, none before a day."""
    start, end = span
    day = timedelta(days=1)
    days_in_window = max(1.0, (end - start) / day)
    found = list(found)
    earliest = min([i.seen for i in found] + [reading_since or start, start])
    history = min(float(MONTH), (start - earliest) / day)
    history = history if history >= 1 else 0.0
    today: Counter[str] = Counter()
    week: Counter[str] = Counter()
    month: Counter[str] = Counter()
    places: dict[str, tuple[str, str | None, str]] = {}
    for incident in found:
        place, number = incident.place, incident.count
        pcode = place.admin2_pcode or ""
        places[pcode] = (place.admin1 or "", place.admin1_pcode, place.admin2 or pcode)
        if start <= incident.seen < end:
            today[pcode] += number
        elif start - timedelta(days=MONTH) <= incident.seen < start:
            month[pcode] += number
            if incident.seen >= start - timedelta(days=WEEK):
                week[pcode] += number
    rows = [
        DistrictTrend(
            governorate=places[pcode][0],
            governorate_pcode=places[pcode][1],
            district=places[pcode][2],
            pcode=pcode,
            today=today[pcode],
            week=week[pcode] / min(WEEK, history) if history else None,
            month=month[pcode] / history if history else None,
            days=days_in_window,
            history=history,
        )
        for pcode in places
        if today[pcode] or week[pcode]
    ]
    rows.sort(key=lambda d: (-d.today, -(d.week or 0), d.district))
    tree: dict[tuple[str, str | None], list[DistrictTrend]] = {}
    for row in rows:
        tree.setdefault((row.governorate, row.governorate_pcode), []).append(row)
    return Trends(
        tuple(GovernorateTrend(name, pcode, tuple(ds)) for (name, pcode), ds in tree.items())
    )


@dataclass(frozen=True, slots=True)
class DistrictSeries:
    """A district's new incidents per local day, with the trailing averages a digest of each
    day would compare them with (those of the WEEK and MONTH days before it)."""

    pcode: str
    district: str
    governorate: str
    days: tuple[date, ...]
    counts: tuple[int, ...]
    week: tuple[float | None, ...]
    month: tuple[float | None, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


def district_series(
    found: Iterable[Incidents],
    first: date,
    last: date,
    zone: str,
    reading_since: datetime | None = None,
) -> tuple[DistrictSeries, ...]:
    """The series of every district with an incident in [first, last], busiest first, from
    the incidents `found` from MONTH days before `first`."""
    tz = ZoneInfo(zone)
    lead = first - timedelta(days=MONTH)
    found = list(found)
    earliest = min([i.seen for i in found] + [reading_since or _midnight(first, tz)])
    read_from = max(lead, earliest.astimezone(tz).date())
    days = [lead + timedelta(days=n) for n in range((last - lead).days + 1)]
    position = {day: n for n, day in enumerate(days)}
    counts: dict[str, list[int]] = {}
    names: dict[str, tuple[str, str]] = {}
    for incident in found:
        place = incident.place
        day = incident.seen.astimezone(tz).date()
        if day not in position:
            continue
        pcode = place.admin2_pcode or ""
        counts.setdefault(pcode, [0] * len(days))[position[day]] += incident.count
        names[pcode] = (place.admin2 or pcode, place.admin1 or "")
    shown = range(MONTH, len(days))
    series = [
        DistrictSeries(
            pcode,
            *names[pcode],
            tuple(days[n] for n in shown),
            tuple(values[n] for n in shown),
            tuple(_trailing(values, n, WEEK, days, read_from) for n in shown),
            tuple(_trailing(values, n, MONTH, days, read_from) for n in shown),
        )
        for pcode, values in counts.items()
        if any(values[n] for n in shown)
    ]
    return tuple(sorted(series, key=lambda s: (-s.total, s.district)))


def _trailing(
    values: list[int], at: int, span: int, days: list[date], read_from: date
) -> float | None:
    """The daily average of the `span` days before `at` that were read; None if none was."""
    window = [n for n in range(max(0, at - span), at) if days[n] >= read_from]
    return sum(values[n] for n in window) / len(window) if window else None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)

"""What changed, per district: the new incidents of a digest's window against the daily averages
of the 7 and 28 days before it, the districts newly affected and those quiet after activity.

An incident counts once, in the district of its story's place, on the day the story was first
seen, when the profile would show it as an incident (its severity, categories and regions; early
warnings are not incidents). Pure: takes stories, returns the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from digest.briefing import is_warning
from digest.config import ProfileConfig
from digest.types import MONTH, WEEK, DistrictTrend, GovernorateTrend, Story, StoryView, Trends


def counts_as_incident(story: Story, profile: ProfileConfig, parents: dict[str, str]) -> bool:
    """The profile would show the story as an incident in a district: severe enough, of its
    categories, placed in its regions, not an early warning."""
    place = story.primary
    if place is None or not place.admin2_pcode or story.severity < max(profile.min_severity, 1):
        return False
    if profile.categories and not set(story.categories) & set(profile.categories):
        return False
    if profile.regions:
        codes = {place.admin2_pcode, place.admin1_pcode, place.country}
        if (
            not codes & set(profile.regions)
            and parents.get(place.admin2_pcode) not in profile.regions
        ):
            return False
    return not is_warning(StoryView(story, ()))


def district_trends(
    profile: ProfileConfig,
    span: tuple[datetime, datetime],
    stories: Iterable[Story],
    parents: dict[str, str],
    reading_since: datetime | None = None,
) -> Trends:
    """The trend table of a window from the `stories` first seen in it or the MONTH days
    before; averages over the days read before the window (since `reading_since`, when the
    first source was added, or the first story) when fewer than MONTH."""
    start, end = span
    day = timedelta(days=1)
    days_in_window = max(1.0, (end - start) / day)
    stories = list(stories)
    earliest = min([s.first_seen for s in stories] + [reading_since or start, start])
    history = min(float(MONTH), (start - earliest) / day)
    today: Counter[str] = Counter()
    week: Counter[str] = Counter()
    month: Counter[str] = Counter()
    places: dict[str, tuple[str, str | None, str]] = {}
    for story in stories:
        place = story.primary
        if place is None or not counts_as_incident(story, profile, parents):
            continue
        pcode = place.admin2_pcode or ""
        places[pcode] = (place.admin1 or "", place.admin1_pcode, place.admin2 or pcode)
        if start <= story.first_seen < end:
            today[pcode] += 1
        elif start - timedelta(days=MONTH) <= story.first_seen < start:
            month[pcode] += 1
            if story.first_seen >= start - timedelta(days=WEEK):
                week[pcode] += 1
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
    profile: ProfileConfig,
    stories: Iterable[Story],
    first: date,
    last: date,
    zone: str,
    parents: dict[str, str],
    reading_since: datetime | None = None,
) -> tuple[DistrictSeries, ...]:
    """The series of every district with an incident in [first, last], busiest first, from
    the `stories` first seen from MONTH days before `first`."""
    tz = ZoneInfo(zone)
    lead = first - timedelta(days=MONTH)
    stories = list(stories)
    earliest = min([s.first_seen for s in stories] + [reading_since or _midnight(first, tz)])
    read_from = max(lead, earliest.astimezone(tz).date())
    days = [lead + timedelta(days=n) for n in range((last - lead).days + 1)]
    position = {day: n for n, day in enumerate(days)}
    counts: dict[str, list[int]] = {}
    names: dict[str, tuple[str, str]] = {}
    for story in stories:
        place = story.primary
        day = story.first_seen.astimezone(tz).date()
        if place is None or day not in position or not counts_as_incident(story, profile, parents):
            continue
        pcode = place.admin2_pcode or ""
        counts.setdefault(pcode, [0] * len(days))[position[day]] += 1
        names[pcode] = (place.admin2 or pcode, place.admin1 or "")
    shown = range(MONTH, len(days))
    found = [
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
    return tuple(sorted(found, key=lambda s: (-s.total, s.district)))


def _trailing(
    values: list[int], at: int, span: int, days: list[date], read_from: date
) -> float | None:
    """The daily average of the `span` days before `at` that were read; None if none was."""
    window = [n for n in range(max(0, at - span), at) if days[n] >= read_from]
    return sum(values[n] for n in window) / len(window) if window else None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)

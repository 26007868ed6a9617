"""Digest assembly: choose a profile's window and stories, group by governorate and district, rank.

Pure: takes stories and returns a Digest; no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.config import ProfileConfig
from digest.errors import InputError
from digest.signals.categories import PRECURSORS
from digest.types import (
    Digest,
    DistrictSection,
    GovernorateSection,
    Location,
    StoryView,
    Trends,
)

WINDOW = timedelta(hours=24)
WARNINGS = PRECURSORS | {"protest", "riot", "arrest", "infrastructure"}
PLACE_NOT_STATED = "Place not stated"


def window(
    profile: ProfileConfig, day: date, last_sent: datetime | None = None
) -> tuple[datetime, datetime]:
    """What the digest of `day` covers: up to the profile's send time that day, in its time zone
    (DST-aware), from the end of the last digest sent before it (so a missed day is covered),
    at most `max_window_days` back; from the same time the day before when none was sent."""
    zone = ZoneInfo(profile.timezone)
    if not date(1971, 1, 2) <= day <= date(9998, 12, 31):
        raise InputError(f"no digest can cover {day.isoformat()}")
    end = datetime.combine(day, profile.send_at, tzinfo=zone)
    start = datetime.combine(day - timedelta(days=1), profile.send_at, tzinfo=zone)
    if last_sent is not None and last_sent < end:  # also when send_at moved: no overlap
        start = max(last_sent.astimezone(zone), end - timedelta(days=profile.max_window_days))
    return start, end


def wanted(view: StoryView, profile: ProfileConfig, parents: dict[str, str]) -> bool:
    story = view.story
    if view.severity < max(profile.min_severity, 1):
        return False
    if profile.categories and not set(story.categories) & set(profile.categories):
        return False
    if profile.regions:
        firsts = (loc for entry in view.items for loc in entry.assessment.locations[:1])
        return any(in_regions(loc, profile.regions, parents) for loc in firsts)
    return True


def in_regions(place: Location, regions: Iterable[str], parents: dict[str, str]) -> bool:
    """The place is in one of the regions: its country, governorate or district, or the
    governorate of its district (`parents`), is one of them."""
    district = place.admin2_pcode
    codes = {place.country, place.admin1_pcode, district, parents.get(district or "")}
    return bool(codes & set(regions))


def is_warning(view: StoryView) -> bool:
    return warns(view.story.categories)


def warns(categories: tuple[str, ...]) -> bool:
    """Early warning: a story led by a precursor, or a road closure or evacuation that comes with
    unrest only (a protest that cuts the airport road is first of all a road cut)."""
    if categories[0] in PRECURSORS:
        return True
    kinds = set(categories)
    return bool({"movement_restriction", "evacuation"} & kinds) and kinds <= WARNINGS


def rank_key(view: StoryView) -> tuple[int, int, int, float]:
    """Most severe first (as the reader weighs it: an unconfirmed social post a level lower);
    of equals, the best corroborated (the best source tier, then the most independent
    sources), then the latest."""
    found = view.corroboration
    tier, sources = (found.best_tier, -found.independent) if found else (0, 0)
    return -view.severity, tier, sources, -view.story.last_updated.timestamp()


def assemble(
    profile: ProfileConfig,
    span: tuple[datetime, datetime],
    views: Iterable[StoryView],
    items_considered: int,
    parents: dict[str, str] | None = None,
    trends: Trends | None = None,
) -> Digest:
    """`parents` maps admin-2 P-codes to their admin-1, so a profile's regions include children."""
    chosen = [v for v in views if wanted(v, profile, parents or {})]
    early = sorted((v for v in chosen if is_warning(v)), key=rank_key)
    incidents = [v for v in chosen if not is_warning(v)]
    return Digest(
        profile=profile.name,
        timezone=profile.timezone,
        window_start=span[0],
        window_end=span[1],
        early_warning=tuple(early),
        governorates=group_by_place(incidents),
        items_considered=items_considered,
        trends=trends or Trends(),
        language=profile.language,
    )


def trimmed(digest: Digest, keep: int) -> Digest:
    """The digest with only its `keep` most important stories: early warnings first, then
    incidents by rank."""
    incidents = sorted(
        (view for g in digest.governorates for d in g.districts for view in d.stories),
        key=rank_key,
    )
    warnings = digest.early_warning[:keep]
    kept = incidents[: max(0, keep - len(warnings))]
    left_out = len(digest.early_warning) - len(warnings) + len(incidents) - len(kept)
    return replace(
        digest,
        early_warning=warnings,
        governorates=group_by_place(kept),
        omitted=digest.omitted + left_out,
    )


def group_by_place(views: list[StoryView]) -> tuple[GovernorateSection, ...]:
    """Governorate, then district sections, the most pressing story first at every level."""
    sections = []
    for governorate in group_as_listed(sorted(views, key=rank_key)):
        parts = sorted(governorate.districts, key=lambda d: (rank_key(d.stories[0]), d.name))
        sections.append(GovernorateSection(governorate.name, governorate.pcode, tuple(parts)))
    sections.sort(key=lambda g: (rank_key(g.districts[0].stories[0]), g.name))
    return tuple(sections)


def group_as_listed(views: Iterable[StoryView]) -> tuple[GovernorateSection, ...]:
    """Governorate, then district sections in the order the views come (a stored digest's)."""
    tree: dict[tuple[str, str | None], dict[tuple[str, str | None], list[StoryView]]] = {}
    for view in views:
        governorate, district = place(view)
        tree.setdefault(governorate, {}).setdefault(district, []).append(view)
    return tuple(
        GovernorateSection(
            name,
            pcode,
            tuple(DistrictSection(dn, dp, tuple(stories)) for (dn, dp), stories in places.items()),
        )
        for (name, pcode), places in tree.items()
    )


def place(view: StoryView) -> tuple[tuple[str, str | None], tuple[str, str | None]]:
    """The (name, P-code) of the governorate and of the district a story is listed under."""
    return _governorate(view.story.primary), _district(view.story.primary)


def _governorate(location: Location | None) -> tuple[str, str | None]:
    if location is None:
        return PLACE_NOT_STATED, None
    if location.admin1:
        return location.admin1, location.admin1_pcode
    return location.name, None


def _district(location: Location | None) -> tuple[str, str | None]:
    if location is None or not location.admin2:
        return "", None
    return location.admin2, location.admin2_pcode

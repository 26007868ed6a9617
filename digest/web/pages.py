"""The archive's pages as HTML, the same whether served or exported."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from digest import briefing, orders, review, trends
from digest.config import ProfileConfig
from digest.render import Snippet
from digest.storage.base import DigestRecord, ReviewAction, ReviewDraft
from digest.storage.reader import Found
from digest.storage.search import QueryError, SearchFilters, query_words
from digest.text import fold, word_end
from digest.types import MONTH, Location, StoryView
from digest.web import chart
from digest.web.site import Links, Site

SNIPPET_CHARS = 240
SEARCHED_CHARS = 1200
OVERVIEW_DAYS = 28


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    weeks: tuple[tuple[tuple[int, DigestRecord | None] | None, ...], ...]

    @property
    def title(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"


def months(records: list[DigestRecord]) -> list[Month]:
    """Calendar months (newest first) holding a profile's digests, as weeks Monday to Sunday."""
    by_day = {r.day: r for r in records}
    found = sorted({(int(r.day[:4]), int(r.day[5:7])) for r in records}, reverse=True)
    result = []
    for year, month in found:
        weeks = tuple(
            tuple(
                (day, by_day.get(f"{year:04d}-{month:02d}-{day:02d}")) if day else None
                for day in week
            )
            for week in calendar.Calendar().monthdayscalendar(year, month)
        )
        result.append(Month(year, month, weeks))
    return result


def index_page(site: Site, links: Links) -> str:
    records = sorted(site.reader.digests(), key=lambda r: (r.profile, r.day))
    profiles = [(name, months(list(rs))) for name, rs in groupby(records, key=lambda r: r.profile)]
    latest = sorted(records, key=lambda r: (r.day, r.profile), reverse=True)[:10]
    return site.render(
        "web/index.html.j2",
        links,
        profiles=profiles,
        latest=latest,
        reviews=site.reader.open_reviews(),
    )


def story_views(
    site: Site, ids: list[str], language: str | None = None, since: datetime | None = None
) -> tuple[StoryView, ...]:
    """The stored stories of these ids, in this order, headlined in `language` (the archive's
    by default); `since`: the start of the reader's window."""
    found = {story.id: (story, items) for story, items in site.reader.stories(ids)}
    return tuple(
        StoryView(found[i][0], tuple(found[i][1]), language or site.language, since, site.tiers)
        for i in ids
        if i in found
    )


def digest_page(site: Site, links: Links, profile: str, day: str) -> str | None:
    record = site.reader.digest(profile, day)
    if record is None:
        return None
    draft = site.reader.review_draft(profile, day)
    if draft is not None and draft.closed_at is None:  # as its reviewers leave it so far
        reviewed, trail = reviewed_draft(site, draft, record.language, record.window_start)
        early, placed = list(reviewed.early), list(reviewed.incidents)
    else:  # as the email showed them: the digest's stored order (the reviewers' notes on it)
        ids = site.reader.digest_story_ids(record.id)
        views = story_views(site, ids, record.language, record.window_start)
        trail = site.reader.review_actions(profile, day) if draft is not None else []
        notes = [action for action in trail if action.action == "annotate"]
        shown = review.replay(
            [v for v in views if briefing.is_warning(v)],
            [v for v in views if not briefing.is_warning(v)],
            notes,
        )
        early, placed = list(shown.early), list(shown.incidents)
    return site.render(
        "web/digest.html.j2",
        links,
        record=record,
        early=early,
        governorates=briefing.group_as_listed(placed),
        draft=draft,
        trail=trail,
        orders=[
            found
            for found in orders.records(
                site.reader.orders_published(record.window_start, record.window_end)
            )
            if record.window_start <= found.issued < record.window_end
        ],
        headlines=headlines_of(site, trail, record.language),
    )


def reviewed_draft(
    site: Site, draft: ReviewDraft, language: str, since: datetime | None
) -> tuple[review.Reviewed, list[ReviewAction]]:
    """A reviewed digest's stories as its trail leaves them, and the trail."""
    views = story_views(site, [*draft.early, *draft.incidents], language, since)
    warned = set(draft.early)
    trail = site.reader.review_actions(draft.profile, draft.day)
    early = [v for v in views if v.story.id in warned]
    return review.replay(early, [v for v in views if v.story.id not in warned], trail), trail


def headlines_of(site: Site, trail: list[ReviewAction], language: str) -> dict[str, str]:
    """The headline of every story a trail names (acted on, or merged into)."""
    named = {a.story_id for a in trail} | {
        a.value for a in trail if a.action == "merge" and a.value
    }
    return {v.story.id: v.lead.item.title for v in story_views(site, sorted(named), language)}


def story_page(site: Site, links: Links, story_id: str) -> str | None:
    found = site.reader.stories([story_id])
    if not found:
        return None
    story, items = found[0]
    view = StoryView(story, tuple(items), site.language, tiers=site.tiers)
    timeline = sorted(view.items, key=lambda e: (e.item.published, e.item.id))
    reasons = {m.item_id: m.reason for m in story.members}
    points = {
        (loc.lat, loc.lon): loc
        for entry in timeline
        for loc in entry.assessment.locations
        if loc.lat is not None and loc.lon is not None
    }
    return site.render(
        "web/story.html.j2",
        links,
        view=view,
        order=next(iter(orders.records((story.id, entry) for entry in items)), None),
        timeline=timeline,
        reasons=reasons,
        points=list(points.values()),
        digests=site.reader.digests_with_story(story_id),
    )


@dataclass(frozen=True, slots=True)
class Results:
    filters: SearchFilters
    asked: bool  # a search was made (not the empty form)
    found: Found | None
    views: tuple[StoryView, ...]
    next_before: int | None
    error: str | None


def search_results(site: Site, filters: SearchFilters, view: str) -> Results:
    """Items (or, with view="stories", their stories) matching the filters."""
    if not (filters.q.strip() or filters.model_fields_set - {"q"}):
        return Results(filters, False, None, (), None, None)
    try:
        if view == "stories":
            ids, next_before = site.reader.search_stories(filters, site.page_size)
            return Results(filters, True, None, story_views(site, ids), next_before, None)
        hits = site.reader.search(filters, site.page_size, evidence=False)
        return Results(filters, True, hits, (), hits.next_before, None)
    except QueryError as exc:
        return Results(filters, False, None, (), None, str(exc))


def search_page(site: Site, links: Links, results: Results, view: str) -> str:
    words = query_words(results.filters.q)
    snippets = {
        hit.key: highlight(hit.item.text or hit.item.title, words)
        for hit in (results.found.hits if results.found else ())
    }
    return site.render(
        "web/search.html.j2",
        links,
        results=results,
        filters=results.filters,
        view=view,
        snippets=snippets,
        region_choices=site.region_choices,
        category_choices=site.category_choices,
        source_choices=site.source_choices(),
    )


def highlight(text: str, words: list[str]) -> Snippet:
    """About SNIPPET_CHARS of the text around the first word holding a word searched for (so
    "بغارة" for "غارة", "evacuation" for "evacuat*"), that word apart."""
    folded = fold(text)
    pattern = "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))
    found = re.search(pattern, folded.text) if pattern else None
    if found is None:
        short = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…" if len(text) > SNIPPET_CHARS else text
        return Snippet(short, "", "")
    start, end = found.start(), found.end()
    while start > 0 and folded.text[start - 1].isalnum():
        start -= 1
    end = word_end(folded.text, end)
    begin, end = folded.original_span(start, end)
    room = max(20, (SNIPPET_CHARS - (end - begin)) // 2)
    return Snippet(
        ("…" if begin > room else "") + text[max(0, begin - room) : begin],
        text[begin:end],
        text[end : end + room] + ("…" if end + room < len(text) else ""),
    )


def overview_page(site: Site, links: Links, last: date, days: int = OVERVIEW_DAYS) -> str:
    """Incidents per governorate in the `days` days up to `last`."""
    first = last - timedelta(days=days - 1)
    rows = site.reader.incidents_per_day(
        datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(1), time(), UTC)
    )
    data = chart.overview(rows, first, last, site.region_names)
    return site.render("web/overview.html.j2", links, chart=data, svg=chart.svg(data))


TREND_DAYS = 28
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def incidents(
    site: Site, profile: ProfileConfig, start: datetime, end: datetime, hourly: bool = False
) -> list[trends.Incidents]:
    """The incidents first seen in [start, end) as the profile counts them (and its digest
    weighs them), per day (in the archive's zone) or per hour, and district, counted by the
    database."""
    kinds = [
        kind
        for kind in site.reader.story_kinds(start, end)
        if trends.incident_kind(tuple(json.loads(kind)), profile)
    ]
    found = []
    severe = max(profile.min_severity, 1)
    lowered: set[str] = set()  # stories a digest weighs a level lower, below the threshold
    if site.tiers and severe > 1:
        sources = site.reader.story_sources(start, end, severity=severe)
        lowered = trends.unconfirmed(sources, site.tiers)
    zone = None if hourly else site.timezone
    for moment, admin1, admin2, count in site.reader.incidents_counted(
        start, end, severe, kinds, zone, sorted(lowered)
    ):
        name = site.region_names.get(admin2, admin2)
        governorate = site.region_names.get(admin1 or "")
        place = Location(name, None, "LB", governorate, admin1, name, admin2, None, None, "admin2")
        if trends.in_regions(place, profile, site.parents):
            found.append(trends.Incidents(moment, place, count))
    return found


def trends_page(
    site: Site,
    links: Links,
    last: date,
    days: int,
    region: str | None,
    min_severity: int,
    now: datetime | None = None,
) -> str:
    """New incidents per district over the `days` days up to `last` (the archive's days), as a
    digest of each day counted them (severity at least `min_severity`, within `region`), with
    the table a digest of `last` would show."""
    profile = ProfileConfig(
        name="archive", min_severity=min_severity, regions=[region] if region else []
    )
    zone = ZoneInfo(site.timezone)
    first = last - timedelta(days=days - 1)
    start = datetime.combine(first - timedelta(days=MONTH), time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    found = incidents(site, profile, start, end)
    since = site.reader.reading_since()
    series = trends.district_series(found, first, last, site.timezone, since)
    now = now or datetime.now(zone)
    rolling = None
    if end <= now:
        table = trends.district_trends((datetime.combine(last, time(), zone), end), found, since)
    else:  # a day not over: its last 24 hours (to the hour), as a digest would compare them
        rolling = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + HOUR
        hourly = incidents(site, profile, rolling - DAY - MONTH * DAY, rolling, hourly=True)
        table = trends.district_trends((rolling - DAY, rolling), hourly, since)
    return site.render(
        "web/trends.html.j2",
        links,
        table=table,
        rolling=rolling,
        charts=[(one, chart.district_svg(one)) for one in series],
        first=first,
        last=last,
        days=days,
        region=region or "",
        min_severity=min_severity,
        region_choices=site.region_choices,
    )


ORDER_DAYS = 30


def orders_page(site: Site, links: Links, last: date, days: int, region: str | None) -> str:
    """The evacuation orders issued in the `days` days up to `last` (the archive's days) for
    places in `region`, the latest first."""
    zone = ZoneInfo(site.timezone)
    first = last - timedelta(days=days - 1)
    start, end = (datetime.combine(d, time(), zone) for d in (first, last + timedelta(days=1)))
    wanted = ProfileConfig(name="archive", regions=[region] if region else [])
    found = orders.records(site.reader.orders_published(start, end))
    return site.render(
        "web/orders.html.j2",
        links,
        records=[
            r for r in found if start <= r.issued < end and orders.concerns(r, wanted, site.parents)
        ],
        first=first,
        last=last,
        days=days,
        region=region or "",
        region_choices=site.region_choices,
    )

"""What changed, per district: the trend table and the top line of a digest."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest import render
from digest.briefing import assemble, window
from digest.config import DigestConfig, ProfileConfig
from digest.pipeline import build_digest, region_parents
from digest.signals.gazetteer import Gazetteer
from digest.sources.normalise import content_hash
from digest.storage.base import NewSource
from digest.storage.sqlite import SqliteStorage
from digest.trends import (
    counts_as_incident,
    district_series,
    district_trends,
    incidents_of,
    unconfirmed,
)
from digest.types import Item, Location, SourceTier, Story, StoryMember, StoryView
from digest.web import pages
from digest.web.site import Links, Site
from tests.test_render import check_golden

PROFILE = ProfileConfig(name="office", min_severity=2)
SPAN = window(PROFILE, date(2026, 3, 24))
START = SPAN[0]
LONG_AGO = START - timedelta(days=90)
DISTRICTS = {
    "LB63": ("Sour", "South", "LB6"),
    "LB61": ("Saida", "South", "LB6"),
    "LB41": ("Bent Jbeil", "El Nabatieh", "LB4"),
    "LB43": ("Marjaayoun", "El Nabatieh", "LB4"),
    "LB21": ("Baalbek", "Baalbek-El Hermel", "LB8"),
}


def story(
    pcode: str,
    days_before: float,
    severity: int = 3,
    categories: tuple[str, ...] = ("airstrike",),
    number: int = 0,
) -> Story:
    """A story first seen `days_before` the window starts (negative: inside it)."""
    district, governorate, admin1 = DISTRICTS[pcode]
    place = Location(
        district, None, "LB", governorate, admin1, district, pcode, None, None, "admin2"
    )
    when = START - timedelta(days=days_before)
    story_id = f"{pcode}-{days_before}-{number}"
    members = (StoryMember(story_id, "first report"),)
    return Story(story_id, members, when, when, severity, categories, place)


def many(pcode: str, count: int, days_before: float, **fields: int) -> list[Story]:
    return [story(pcode, days_before, number=n, **fields) for n in range(count)]  # type: ignore[arg-type]


def stories() -> list[Story]:
    """Tyre: 4 today after about one a day (rising); Saida: quiet today after 3 this week;
    Bint Jbeil: 1 today after none in 28 days (newly affected); Marjayoun: steady;
    Baalbek: only a month ago (not listed)."""
    return [
        *many("LB63", 4, -0.5),
        *[story("LB63", day + 0.5) for day in range(7)],
        *many("LB63", 7, 20),
        *many("LB61", 3, 2),
        story("LB41", -0.2),
        story("LB43", -0.1),
        story("LB43", 3),
        story("LB43", 10),
        story("LB21", 15),
        story("LB21", -0.3, severity=1),  # below the profile's threshold
        story("LB21", 40),  # before the 28 days
    ]


def test_each_district_gets_its_count_and_averages_and_what_changed() -> None:
    trends = district_trends(SPAN, incidents_of(stories(), PROFILE, {}), LONG_AGO)
    rows = {
        d.pcode: (d.today, round(d.week or 0, 2), round(d.month or 0, 2), d.change)
        for d in trends.districts
    }
    assert rows == {
        "LB63": (4, 1.0, 0.5, "up"),
        "LB61": (0, 0.43, 0.11, "quiet"),
        "LB41": (1, 0.0, 0.0, "new"),
        "LB43": (1, 0.14, 0.07, ""),
    }
    assert [g.pcode for g in trends.governorates] == ["LB6", "LB4"]
    assert [d.pcode for d in trends.having("new")] == ["LB41"]


def test_with_only_a_few_days_read_averages_are_over_those_days_and_nothing_is_called_new() -> None:
    recent = [s for s in stories() if s.first_seen >= START - timedelta(days=4)]
    trends = district_trends(SPAN, incidents_of(recent, PROFILE, {}), START - timedelta(days=4))
    rows = {d.pcode: (round(d.week or 0, 2), d.change) for d in trends.districts}
    assert rows["LB63"] == (1.0, "up")  # 4 in the 4 days read, not 4 in 7
    assert rows["LB41"] == (0.0, "")  # no story in 4 days proves little
    nothing_read = district_trends(SPAN, incidents_of(many("LB63", 2, -0.5), PROFILE, {}), START)
    (tyre,) = nothing_read.districts
    assert (tyre.week, tyre.month, tyre.change) == (None, None, "")


def test_a_window_of_three_days_compares_its_daily_rate() -> None:
    profile = PROFILE
    span = (START - timedelta(days=2), SPAN[1])
    history = [*many("LB63", 3, -0.5), *[story("LB63", 2 + day + 0.5) for day in range(7)]]
    (tyre,) = district_trends(span, incidents_of(history, profile, {}), LONG_AGO).districts
    assert (tyre.today, tyre.week, tyre.days) == (3, 1.0, 3.0)
    assert tyre.change == ""  # 3 in 3 days is one a day, as before


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (ProfileConfig(name="p", min_severity=4), False),
        (ProfileConfig(name="p", categories=["shelling"]), False),
        (ProfileConfig(name="p", regions=["LB4"]), False),
        (ProfileConfig(name="p", regions=["LB6"]), True),
        (ProfileConfig(name="p", regions=["LB63"]), True),
    ],
)
def test_a_story_counts_as_the_profile_would_show_it(
    profile: ProfileConfig, expected: bool
) -> None:
    assert counts_as_incident(story("LB63", 1), profile, {"LB63": "LB6"}) is expected


def test_an_early_warning_is_not_an_incident() -> None:
    assert not counts_as_incident(story("LB63", 1, categories=("escalation",)), PROFILE, {})


def test_the_top_line_names_the_busiest_district_and_those_newly_affected_and_quiet() -> None:
    every = stories()
    trends = district_trends(SPAN, incidents_of(every, PROFILE, {}), LONG_AGO)
    today = [StoryView(s, ()) for s in every if s.first_seen >= START and s.severity >= 2]
    digest = assemble(PROFILE, SPAN, today, 40, None, trends)
    assert render.summary_line(digest) == (
        "6 incidents, 4 in Sour (4x its 7-day average); newly affected: Bent Jbeil; "
        "quiet after activity: Saida."
    )


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_trend_table_matches_its_golden_files(language: str) -> None:
    profile = PROFILE.model_copy(update={"language": language})
    trends = district_trends(SPAN, incidents_of(stories(), profile, {}), LONG_AGO)
    digest = assemble(profile, SPAN, [], 40, None, trends)
    rendered = render.render(digest, render.environment())
    text = rendered.text
    check_golden(
        f"trend-table-{language}.txt",
        text[text.index(render.say("WHAT CHANGED", language)) :].split("\n\n")[0] + "\n",
    )
    table = re.search(r'<td class="trends.*?</table>', rendered.html, re.S)
    assert table is not None
    check_golden(f"trend-table-{language}.html", table.group(0) + "\n")


def test_the_archive_counts_in_sql_what_the_digest_counts_in_python_across_a_dst_change(
    tmp_path: Path,
) -> None:
    """Stories around Beirut's spring change (29 Mar 2026, UTC+2 to UTC+3), counted by the
    database per local day, give the same series as the digest's own counting."""
    storage = SqliteStorage(tmp_path / "d.sqlite3")
    rng = random.Random(3)
    kinds = [("airstrike",), ("shelling", "airstrike"), ("escalation",), ("protest",)]
    made = []
    for number in range(400):
        seen = datetime(2026, 3, 20, tzinfo=UTC) + timedelta(minutes=rng.randrange(18 * 24 * 60))
        base = story(rng.choice(list(DISTRICTS)), 0, rng.randint(1, 4), rng.choice(kinds), number)
        made.append(replace(base, id=f"s{number}", members=(), first_seen=seen, last_updated=seen))
    storage.save_stories(made, {}, datetime(2026, 4, 6, tzinfo=UTC))
    storage.close()
    gazetteer = Gazetteer.load()
    site = Site(tmp_path / "d.sqlite3", render.environment(), gazetteer, "Asia/Beirut")
    first, last = date(2026, 3, 25), date(2026, 4, 5)
    zone = ZoneInfo("Asia/Beirut")
    start = datetime.combine(first - timedelta(days=28), time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    for profile in (PROFILE, ProfileConfig(name="p", regions=["LB4"], min_severity=1)):
        in_sql = pages.incidents(site, profile, start, end)
        in_python = incidents_of(site.reader.stories_first_seen(start, end), profile, site.parents)
        assert sum(i.count for i in in_sql) == len(in_python) > 0
        by_sql = district_series(in_sql, first, last, "Asia/Beirut", LONG_AGO)
        by_python = district_series(in_python, first, last, "Asia/Beirut", LONG_AGO)
        assert by_sql == by_python
    site.close()


def stored_stories(path: Path, seen: list[datetime], pcode: str = "LB63") -> None:
    storage = SqliteStorage(path)
    made = [
        replace(story(pcode, 0, number=n), id=f"s{n}", members=(), first_seen=at, last_updated=at)
        for n, at in enumerate(seen)
    ]
    storage.save_stories(made, {}, max(seen))
    storage.close()


def test_today_on_the_districts_page_is_the_last_24_hours_even_just_after_midnight(
    tmp_path: Path,
) -> None:
    zone = ZoneInfo("Asia/Beirut")
    now = datetime(2026, 3, 25, 1, 0, tzinfo=zone)  # the stories came the evening before
    seen = [now - timedelta(hours=hours, minutes=10) for hours in (2, 3, 4, 5)]
    stored_stories(tmp_path / "d.sqlite3", seen)
    site = Site(tmp_path / "d.sqlite3", render.environment(), Gazetteer.load(), "Asia/Beirut")
    html = pages.trends_page(site, Links(), now.date(), 7, None, 1, now=now)
    site.close()
    assert "The 24 hours to 02:00 against" in html
    row = re.search(r'Sour <span class="pcode">LB63</span></td><td class="num">(\d+)</td>', html)
    assert row is not None and row.group(1) == "4"


def test_days_are_counted_right_in_a_zone_that_changes_on_the_half_hour(tmp_path: Path) -> None:
    """Tehran left daylight saving at 2021-09-21 19:30 UTC (midnight local, from +04:30 to
    +03:30): 19:20 UTC is 23:50 local on the 21st, 19:40 UTC 23:10 on the 21st again, 20:40 UTC
    00:10 on the 22nd."""
    seen = [
        datetime(2021, 9, 21, hour, minute, tzinfo=UTC)
        for hour, minute in ((19, 20), (19, 40), (20, 40))
    ]
    stored_stories(tmp_path / "d.sqlite3", seen)
    site = Site(tmp_path / "d.sqlite3", render.environment(), Gazetteer.load(), "Asia/Tehran")
    start, end = datetime(2021, 9, 20, tzinfo=UTC), datetime(2021, 9, 23, tzinfo=UTC)
    counted = site.reader.incidents_counted(start, end, 1, ['["airstrike"]'], "Asia/Tehran")
    site.close()
    days = sorted((moment.date(), count) for moment, _, _, count in counted)
    assert days == [(date(2021, 9, 21), 2), (date(2021, 9, 22), 1)]


def test_a_story_of_one_unverified_channel_counts_as_the_digest_weighs_it(tmp_path: Path) -> None:
    """The digest lists a story reported only by an unverified social channel (tier 4) a level
    lower; its trend table, and the archive's, count it the same way: below the profile's
    threshold it is not an incident there either, and a second source makes it one."""
    path = tmp_path / "d.sqlite3"
    storage = SqliteStorage(path)
    tiers = {"Channel": SourceTier(tier=4), "Wire": SourceTier(tier=2)}
    storage.sync_sources(
        [NewSource(name, f"https://{name.lower()}.example/rss") for name in tiers], "config"
    )
    today = START + timedelta(hours=2)

    def report(source: str, name: str) -> str:
        title = f"Strike in Tyre {name}"
        item = Item(
            name, source, None, None, title, "", "", None, today, today,
            content_hash(title, ""),
        )  # fmt: skip
        storage.store_items(storage.source(source).id, [item])
        return item.id

    def stored(story_id: str, severity: int, *sources: str) -> Story:
        members = tuple(StoryMember(report(s, f"{story_id}-{s}"), "r") for s in sources)
        base = story("LB63", -0.1, severity)
        return replace(base, id=story_id, members=members, first_seen=today, last_updated=today)

    made = [
        stored("rumour", 2, "Channel"),  # a level lower: 1, under the threshold of 2
        stored("confirmed", 2, "Channel", "Wire"),
        stored("grave", 3, "Channel"),  # a level lower: 2, still over it
    ]
    storage.save_stories(made, {}, today)
    sources = storage.story_sources(LONG_AGO, SPAN[1])
    assert unconfirmed(sources, tiers) == {"rumour", "grave"}
    gazetteer = Gazetteer.load()
    parents = region_parents(gazetteer)
    config = DigestConfig.model_validate(
        {
            "sources": [
                {"name": n, "url": f"https://{n}.example/", "tier": t.tier}
                for n, t in tiers.items()
            ]
        }
    )
    digest, _ = build_digest(
        storage, PROFILE, date(2026, 3, 24), render.environment(), parents, SPAN[1], config=config
    )
    (tyre,) = digest.trends.districts
    assert tyre.today == 2  # "confirmed" and "grave", as the digest would list them
    storage.close()

    site = Site(path, render.environment(), gazetteer, "Asia/Beirut", tiers=tiers)
    counted = pages.incidents(site, PROFILE, LONG_AGO, SPAN[1])
    assert sum(i.count for i in counted) == 2
    anything = ProfileConfig(name="any", min_severity=1)
    assert sum(i.count for i in pages.incidents(site, anything, LONG_AGO, SPAN[1])) == 3
    site.tiers = None  # read without tiers, nothing is lowered
    assert sum(i.count for i in pages.incidents(site, PROFILE, LONG_AGO, SPAN[1])) == 3
    site.close()
